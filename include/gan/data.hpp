#pragma once
/// gan/data.hpp: data sets for training (part of the gan::io target: it reads files).
///   gan/data/image_set.hpp    ImageSet (images as bytes), Range, copy_batch
///   gan/data/idx_dataset.hpp  load_idx_dataset (MNIST-format IDX files)
///   gan/data/image_folder.hpp load_image_folder (PNG/JPEG/BMP/TGA/GIF files, class folders)
///   gan/data/epoch_order.hpp  EpochOrder: the seeded, resumable order of a run's batches
///   gan/data/batcher.hpp      Batcher: an ImageSet in an EpochOrder, a float batch at a time

#include "gan/data/batcher.hpp"
#include "gan/data/epoch_order.hpp"
#include "gan/data/idx_dataset.hpp"
#include "gan/data/image_folder.hpp"
#include "gan/data/image_set.hpp"

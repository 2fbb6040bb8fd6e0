#pragma once
/// gan/io.hpp: the optional IO part of gan (target gan::io; needs zlib, stb and
/// nlohmann_json, which nothing else in gan includes).
///   gan/io/idx.hpp          read_idx, read_idx_images<T>, read_idx_labels (MNIST IDX, raw or gzip)
///   gan/io/image.hpp        read_image, decode_image, resize_center_crop (PNG/JPEG/BMP/TGA/GIF in)
///   gan/io/png.hpp          write_png_grid, write_png (torchvision make_grid layout)
///   gan/io/safetensors.hpp  save_safetensors, load_safetensors, SafetensorsFile, load_into
///   gan/io/checkpoint.hpp   save_checkpoint, load_checkpoint, load_generator (a Trainer's state)
///   gan/io/report.hpp       TrainingReport: a run's self-contained HTML report (charts, grids)

#include "gan/io/checkpoint.hpp"
#include "gan/io/idx.hpp"
#include "gan/io/image.hpp"
#include "gan/io/png.hpp"
#include "gan/io/report.hpp"
#include "gan/io/safetensors.hpp"

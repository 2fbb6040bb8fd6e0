#pragma once
/// load_training_data: the data set a run's --data names, at the model's image shape.
///   an IDX images file, or a folder holding one (MNIST, Fashion-MNIST): as stored
///   any other folder: an image folder (data/image_folder.hpp), resized and centre-cropped
///                     to the model's size, grey or colour as the model asks
/// Anything unreadable is a gan::Error naming the path.

#include <filesystem>
#include <string>

#include "gan/data/idx_dataset.hpp"
#include "gan/models/registry.hpp"
#include "gan/run/run_options.hpp"

namespace gan::run {

/// True when --data names an MNIST-format data set rather than an image folder.
inline bool is_idx_data(const std::string& where) { return data::is_idx_dataset(where); }

inline data::ImageSet load_training_data(const RunOptions& o, const models::Registry&) {
  std::error_code ec;
  if (!std::filesystem::exists(o.data, ec)) throw Error("data: '" + o.data + "' does not exist");
  if (is_idx_data(o.data) || std::filesystem::is_regular_file(o.data, ec))
    return data::load_idx_dataset(o.data);
  throw Error("data: '" + o.data + "' holds no '*images-idx3-ubyte[.gz]' file");
}

}  // namespace gan::run

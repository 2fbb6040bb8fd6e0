#pragma once
/// load_training_data: the data set a run's --data names, at the model's image shape.
///   an IDX images file, or a folder holding one (MNIST, Fashion-MNIST): as stored
///   any other folder: an image folder (data/image_folder.hpp), resized and centre-cropped
///                     to --image-size (default: the model's first size), with --channels
///                     channels (default: 3 where the model makes colour, else 1)
/// Anything unreadable is a gan::Error naming the path; a corrupt image in a folder is
/// skipped with a warning (to `warn`, or std::cerr).

#include <filesystem>
#include <string>

#include "gan/data/idx_dataset.hpp"
#include "gan/data/image_folder.hpp"
#include "gan/models/registry.hpp"
#include "gan/run/run_options.hpp"

namespace gan::run {

/// True when --data names an MNIST-format data set rather than an image folder.
inline bool is_idx_data(const std::string& where) { return data::is_idx_dataset(where); }

/// The image folder options of a run: the shape the model will be asked for.
inline data::ImageFolderOptions folder_options(const RunOptions& o,
                                               const models::Registry& registry) {
  const models::ModelEntry& e = registry.find(o.model);
  data::ImageFolderOptions f;
  f.image_size = static_cast<int>(o.image_size > 0 ? o.image_size : e.sizes.front());
  const bool colour = models::detail::has(e.channels, 3);
  f.image.channels = static_cast<int>(o.channels > 0 ? o.channels : (colour ? 3 : 1));
  return f;
}

inline data::ImageSet load_training_data(const RunOptions& o, const models::Registry& registry,
                                         const data::WarningSink& warn = {}) {
  std::error_code ec;
  if (!std::filesystem::exists(o.data, ec)) throw Error("data: '" + o.data + "' does not exist");
  if (is_idx_data(o.data) || std::filesystem::is_regular_file(o.data, ec))
    return data::load_idx_dataset(o.data);
  data::ImageFolderOptions f = folder_options(o, registry);
  f.warn = warn;
  return data::load_image_folder(o.data, f);
}

}  // namespace gan::run

#pragma once
// Finding and loading an MNIST-format data set: an IDX images file, or a folder that
// holds one (its labels file, if any, is found beside it by name).

#include <algorithm>
#include <filesystem>
#include <gan/io.hpp>
#include <string>
#include <vector>

namespace dataset {

namespace fs = std::filesystem;

/// Images stay bytes (a quarter of the memory of floats: the 10,000 bundled digits are
/// 7.8 MB) and become floats in [0, 1] one batch at a time.
struct Dataset {
  std::vector<std::uint8_t> pixels;  // [N, H, W] row-major
  gan::index_t count = 0, height = 0, width = 0;
  std::vector<int> labels;  // [N], or empty when there is no labels file
  std::string images_path, labels_path;

  gan::index_t per_image() const noexcept { return height * width; }

  /// out[i] = image order[first + i] / 255 for the batch size of out ([B, 1, H, W]).
  void copy_batch(const std::vector<gan::index_t>& order, gan::index_t first,
                  gan::Tensor<float>& out) const noexcept {
    const gan::index_t per = per_image();
    for (gan::index_t i = 0; i < out.dim(0); ++i) {
      const std::uint8_t* src = pixels.data() + order[static_cast<std::size_t>(first + i)] * per;
      float* dst = out.data() + i * per;
      for (gan::index_t p = 0; p < per; ++p) dst[p] = static_cast<float>(src[p]) * (1.0f / 255.0f);
    }
  }
};

/// The bundled digits: data/mnist in the source tree this program was built from,
/// else ./data/mnist.
inline std::string default_folder() {
  const fs::path built_from = fs::path(GAN_SOURCE_DIR) / "data" / "mnist";
  return fs::is_directory(built_from) ? built_from.string() : "data/mnist";
}

inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

/// The images file of a folder: a "train-images-idx3-ubyte[.gz]" if there is one,
/// else the first "*images-idx3-ubyte*" in name order.
inline fs::path images_in(const fs::path& folder) {
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.is_regular_file() && contains(e.path().filename().string(), "images-idx3-ubyte"))
      found.push_back(e.path());
  if (found.empty())
    throw gan::Error("data: no '*images-idx3-ubyte[.gz]' file in folder '" + folder.string() + "'");
  std::sort(found.begin(), found.end());
  for (const auto& p : found)
    if (contains(p.filename().string(), "train-")) return p;
  return found.front();
}

/// Loads images (and labels when a matching "*labels-idx1-ubyte*" file exists).
inline Dataset load(const std::string& where) {
  std::error_code ec;
  if (!fs::exists(where, ec)) throw gan::Error("data: '" + where + "' does not exist");
  const fs::path images = fs::is_directory(where) ? images_in(where) : fs::path(where);
  Dataset d;
  d.images_path = images.string();
  gan::IdxFile file = gan::read_idx(d.images_path);
  if (file.dims.size() != 3)
    throw gan::Error("data: '" + d.images_path + "' holds rank-" +
                     std::to_string(file.dims.size()) + " data; images need rank 3");
  d.count = file.dims[0];
  d.height = file.dims[1];
  d.width = file.dims[2];
  d.pixels = std::move(file.bytes);
  std::string name = images.filename().string();
  const auto at = name.find("images-idx3");
  if (at == std::string::npos) return d;
  name.replace(at, 11, "labels-idx1");
  const fs::path labels = images.parent_path() / name;
  if (!fs::exists(labels)) return d;
  d.labels_path = labels.string();
  const auto raw = gan::read_idx_labels(d.labels_path);
  if (static_cast<gan::index_t>(raw.size()) != d.count)
    throw gan::Error("data: '" + d.labels_path + "' has " + std::to_string(raw.size()) +
                     " labels for " + std::to_string(d.count) + " images");
  d.labels.assign(raw.begin(), raw.end());
  return d;
}

}  // namespace dataset

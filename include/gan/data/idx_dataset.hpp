#pragma once
/// load_idx_dataset: an MNIST-format data set as an ImageSet. `where` is an IDX images
/// file (rank 3, raw or gzip'd) or a folder holding one: its "train-images-idx3-ubyte[.gz]"
/// if there is one, else the first "*images-idx3-ubyte*" in name order. Labels come from
/// the file of the same name with "images-idx3" replaced by "labels-idx1", when it exists;
/// the classes are then 0 .. max(label), named by their numbers ("0" .. "9").
/// Anything wrong (no such path, no images file, a corrupt file, a label count that does
/// not match) throws gan::Error naming the file.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "gan/data/image_set.hpp"
#include "gan/io/idx.hpp"

namespace gan::data {

namespace detail {
inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

inline std::filesystem::path idx_images_in(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(folder, ec))
    if (e.is_regular_file(ec) && contains(e.path().filename().string(), "images-idx3-ubyte"))
      found.push_back(e.path());
  if (ec) throw Error("data: cannot read folder '" + folder.string() + "': " + ec.message());
  if (found.empty())
    throw Error("data: no '*images-idx3-ubyte[.gz]' file in folder '" + folder.string() + "'");
  std::sort(found.begin(), found.end());
  for (const auto& p : found)
    if (contains(p.filename().string(), "train-")) return p;
  return found.front();
}
}  // namespace detail

/// True when `where` is an IDX file or a folder that holds one (what load_idx_dataset reads).
inline bool is_idx_dataset(const std::string& where) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(where, ec))
    return detail::contains(fs::path(where).filename().string(), "-idx3-ubyte");
  if (!fs::is_directory(where, ec)) return false;
  for (const auto& e : fs::directory_iterator(where, ec))
    if (e.is_regular_file(ec) &&
        detail::contains(e.path().filename().string(), "images-idx3-ubyte"))
      return true;
  return false;
}

inline ImageSet load_idx_dataset(const std::string& where) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(where, ec)) throw Error("data: '" + where + "' does not exist");
  const fs::path images =
      fs::is_directory(where, ec) ? detail::idx_images_in(where) : fs::path(where);
  ImageSet set;
  set.source = images.string();
  IdxFile file = read_idx(set.source);
  if (file.dims.size() != 3)
    throw Error("data: '" + set.source + "' holds rank-" + std::to_string(file.dims.size()) +
                " data; images need rank 3");
  set.count = file.dims[0];
  set.channels = 1;
  set.height = file.dims[1];
  set.width = file.dims[2];
  set.pixels = std::move(file.bytes);

  std::string name = images.filename().string();
  const auto at = name.find("images-idx3");
  if (at == std::string::npos) return set;
  name.replace(at, 11, "labels-idx1");
  const fs::path labels = images.parent_path() / name;
  if (!fs::exists(labels, ec)) return set;
  const auto raw = read_idx_labels(labels.string());
  if (static_cast<index_t>(raw.size()) != set.count)
    throw Error("data: '" + labels.string() + "' has " + std::to_string(raw.size()) +
                " labels for " + std::to_string(set.count) + " images");
  set.labels.assign(raw.begin(), raw.end());
  const int top = *std::max_element(set.labels.begin(), set.labels.end());
  for (int c = 0; c <= top; ++c) set.class_names.push_back(std::to_string(c));
  return set;
}

}  // namespace gan::data

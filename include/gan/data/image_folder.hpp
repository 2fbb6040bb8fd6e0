#pragma once
/// load_image_folder: a folder of image files as an ImageSet, in the manner of
/// torchvision's ImageFolder followed by Resize(size) + CenterCrop(size).
///
///   ImageSet set = load_image_folder("sprites", options);
///   -> pixels [N, C, size, size] uint8, C = options.image.channels (1 or 3)
///
/// Files: PNG, JPEG, BMP, TGA and GIF, by extension (.png .jpg .jpeg .bmp .tga .gif, any
/// case); other files are ignored (one warning counts them). Names starting with '.' are
/// skipped, files and folders alike. The folder is searched recursively; entries are
/// visited in byte order of their names, so the images come in the component-wise sorted
/// order of their paths, whatever the file system's order and the thread count.
///
/// Classes: when the folder holds no image file of its own and its images are all in
/// sub-folders, each sub-folder (searched recursively) is one class, as in torchvision's
/// ImageFolder: class_names are the sub-folders' names in sorted order (those with at least
/// one image file), labels their indices. Otherwise (or with class_folders = false) the set
/// is unlabelled.
///
/// Symbolic links are followed, to files and folders. A folder reached a second time (a
/// link back to an ancestor, a loop, or two links to one folder) is not searched again: a
/// warning names the link and its target, and the search goes on. Nothing can loop.
///
/// Errors and warnings: a missing path, a path that is not a folder, a folder with no image
/// file or with no image that decodes, and an image over the limits (ImageLimits: pixels
/// and bytes, checked on the header before decoding) throw gan::Error with one line. A
/// corrupt or truncated image is skipped: options.warn receives one line naming it and
/// stb's reason, in sorted order after the loading, then a line with the count, which
/// ImageSet::skipped also holds. With no warn function, warnings go to std::cerr.
///
/// Files are decoded and resized in parallel (gan::parallel_for, static chunks); each
/// thread holds one decoded file at a time, and only the bytes at the model's size are
/// kept. No exception crosses the parallel region: each file's outcome is recorded and
/// reported after it, so the result and the messages do not depend on the thread count.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/data/image_set.hpp"
#include "gan/io/image.hpp"

namespace gan::data {

/// Receives one line per warning.
using WarningSink = std::function<void(const std::string&)>;

struct ImageFolderOptions {
  int image_size = 32;        ///< the side of the square images the model sees
  ImageOptions image;         ///< channels (1 or 3), alpha policy, background, limits
  bool class_folders = true;  ///< sub-folders are classes when all images are in them
  WarningSink warn;           ///< empty: warnings go to std::cerr
};

/// The image files of a folder, before decoding.
struct ImageFolderListing {
  std::vector<std::filesystem::path> files;  ///< sorted, relative to the folder
  std::vector<int> labels;                   ///< per file, or empty when unlabelled
  std::vector<std::string> class_names;      ///< sorted, or empty
  std::size_t ignored = 0;                   ///< files that are not images by extension
};

/// True when `path` has one of the extensions the loader reads (any case).
inline bool is_image_file(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".tga" ||
         ext == ".gif";
}

namespace detail {

inline void warn_to(const WarningSink& warn, const std::string& line) {
  if (warn)
    warn(line);
  else
    std::cerr << "warning: " << line << "\n";
}

struct FolderWalk {
  std::filesystem::path root;
  const WarningSink& warn;
  std::set<std::filesystem::path> searched;  // canonical paths of the folders searched
  std::vector<std::filesystem::path> files;
  std::size_t ignored = 0;

  // Depth-first, entries in sorted order: the files come out sorted component-wise.
  void search(const std::filesystem::path& dir, const std::filesystem::path& rel) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> names;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      names.push_back(it->path().filename());
    if (ec) {
      warn_to(warn, "image folder '" + root.string() + "': cannot read folder '" +
                        (root / rel).string() + "': " + ec.message() + "; skipped");
      return;
    }
    std::sort(names.begin(), names.end(),
              [](const fs::path& a, const fs::path& b) { return a.native() < b.native(); });
    for (const fs::path& name : names) {
      if (name.native().front() == '.') continue;
      const fs::path full = dir / name, sub = rel / name;
      const fs::file_status st = fs::status(full, ec);  // follows links
      if (ec || !fs::exists(st)) {
        warn_to(warn, "image folder '" + root.string() + "': cannot follow '" + sub.string() + "'" +
                          (ec ? ": " + ec.message() : std::string()) + "; skipped");
        ec.clear();
        continue;
      }
      if (fs::is_directory(st)) {
        const fs::path canon = fs::canonical(full, ec);
        if (ec) {
          warn_to(warn, "image folder '" + root.string() + "': cannot resolve '" + sub.string() +
                            "': " + ec.message() + "; skipped");
          ec.clear();
          continue;
        }
        if (!searched.insert(canon).second) {
          warn_to(warn, "image folder '" + root.string() + "': '" + sub.string() + "' is '" +
                            canon.string() +
                            "', already searched (a symbolic link loop or a second link to "
                            "one folder); not followed");
          continue;
        }
        search(full, sub);
      } else if (fs::is_regular_file(st)) {
        if (is_image_file(name))
          files.push_back(sub);
        else
          ++ignored;
      }
    }
  }
};

}  // namespace detail

/// The image files of `path` and their classes (see the file comment), without decoding.
inline ImageFolderListing list_image_folder(const std::string& path, bool class_folders = true,
                                            const WarningSink& warn = {}) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("image folder: '" + path + "' does not exist");
  if (!fs::is_directory(path, ec)) throw Error("image folder: '" + path + "' is not a folder");
  detail::FolderWalk walk{fs::path(path), warn, {}, {}, 0};
  const fs::path canon = fs::canonical(path, ec);
  if (ec) throw Error("image folder: cannot resolve '" + path + "': " + ec.message());
  walk.searched.insert(canon);
  walk.search(walk.root, fs::path());

  ImageFolderListing out;
  out.files = std::move(walk.files);
  out.ignored = walk.ignored;
  if (out.files.empty())
    throw Error("image folder: no image file (.png .jpg .jpeg .bmp .tga .gif) in '" + path +
                "' or its sub-folders" +
                (out.ignored ? " (" + std::to_string(out.ignored) + " other files)" : ""));
  const bool nested = std::all_of(out.files.begin(), out.files.end(), [](const fs::path& f) {
    return std::distance(f.begin(), f.end()) > 1;
  });
  if (class_folders && nested) {
    for (const fs::path& f : out.files) {
      const std::string top = f.begin()->string();
      if (out.class_names.empty() || out.class_names.back() != top)
        out.class_names.push_back(top);  // sorted: the files are
      out.labels.push_back(static_cast<int>(out.class_names.size()) - 1);
    }
  }
  return out;
}

/// Loads every image of `path` at options.image_size (see the file comment).
inline ImageSet load_image_folder(const std::string& path, const ImageFolderOptions& options = {}) {
  namespace fs = std::filesystem;
  if (options.image_size < 1 || options.image_size > 4096)
    throw Error("image folder: image_size must be in [1, 4096], got " +
                std::to_string(options.image_size));
  gan::detail::check_image_options(options.image, path);
  const ImageFolderListing listing = list_image_folder(path, options.class_folders, options.warn);
  if (listing.ignored)
    detail::warn_to(options.warn, "image folder '" + path + "': ignored " +
                                      std::to_string(listing.ignored) +
                                      " files that are not .png .jpg .jpeg .bmp .tga .gif");

  const index_t n = static_cast<index_t>(listing.files.size());
  const index_t size = options.image_size, per = options.image.channels * size * size;
  ImageSet set;
  set.source = path;
  set.channels = options.image.channels;
  set.height = set.width = size;
  set.pixels.resize(static_cast<std::size_t>(n * per));

  // Per-file outcome; written by one thread each, read after the region.
  enum Outcome : char { ok, skipped, refused };
  std::vector<char> outcome(static_cast<std::size_t>(n), ok);
  std::vector<std::string> message(static_cast<std::size_t>(n));
  std::atomic<bool> stop{false};  // a refusal ends the work early
  const fs::path root(path);
  // Decoded interleaved: one stb_image_resize call does all channels at once.
  gan::parallel_for(0, n, [&](index_t i) {
    const auto k = static_cast<std::size_t>(i);
    if (stop.load(std::memory_order_relaxed)) {
      outcome[k] = skipped;
      return;
    }
    const std::string file = (root / listing.files[k]).string();
    try {
      Image hwc;
      {
        const std::vector<std::uint8_t> bytes = read_image_file(file, options.image.limits);
        gan::detail::decode(bytes.data(), bytes.size(), file, options.image, true, hwc);
      }
      try {
        gan::detail::resize_crop_interleaved(hwc.pixels.data(), hwc.channels, hwc.height, hwc.width,
                                             options.image_size, set.pixels.data() + i * per);
      } catch (const Error& e) {
        throw Error("image: '" + file + "': " + e.what());
      }
    } catch (const ImageLimitError& e) {
      outcome[k] = refused;
      message[k] = e.what();
      stop.store(true, std::memory_order_relaxed);
    } catch (const std::exception& e) {
      outcome[k] = skipped;
      message[k] = e.what();
    } catch (...) {
      outcome[k] = skipped;
      message[k] = "image: '" + file + "': unknown error";
    }
  });
  for (index_t i = 0; i < n; ++i)
    if (outcome[static_cast<std::size_t>(i)] == refused)
      throw Error(message[static_cast<std::size_t>(i)] + " (raise ImageLimits to load it)");

  // Keep the images that decoded, in order; name the others.
  index_t kept = 0;
  for (index_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (outcome[k] != ok) {
      detail::warn_to(options.warn, "image folder '" + path + "': skipped: " + message[k]);
      continue;
    }
    if (kept != i)
      std::memmove(set.pixels.data() + kept * per, set.pixels.data() + i * per,
                   static_cast<std::size_t>(per));
    if (!listing.labels.empty()) set.labels.push_back(listing.labels[k]);
    ++kept;
  }
  set.count = kept;
  set.skipped = n - kept;
  if (kept == 0)
    throw Error("image folder: none of the " + std::to_string(n) + " image files in '" + path +
                "' could be decoded (first: " + message.front() + ")");
  if (set.skipped > 0) {
    set.pixels.resize(static_cast<std::size_t>(kept * per));
    set.pixels.shrink_to_fit();
    detail::warn_to(options.warn, "image folder '" + path + "': skipped " +
                                      std::to_string(set.skipped) + " of " + std::to_string(n) +
                                      " image files that could not be decoded");
  }
  if (!listing.labels.empty()) {
    set.class_names = listing.class_names;
    std::vector<index_t> per_class(set.class_names.size(), 0);
    for (int l : set.labels) ++per_class[static_cast<std::size_t>(l)];
    for (std::size_t c = 0; c < per_class.size(); ++c)
      if (per_class[c] == 0)
        detail::warn_to(options.warn, "image folder '" + path + "': class '" + set.class_names[c] +
                                          "' has no image that could be decoded");
  }
  return set;
}

}  // namespace gan::data

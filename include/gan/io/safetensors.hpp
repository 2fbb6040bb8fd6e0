#pragma once
/// safetensors files (https://github.com/huggingface/safetensors), the checkpoint format
/// that PyTorch users read with `safetensors.torch.load_file`:
///
///   [u64 little-endian N][N bytes of JSON header, space-padded][data section]
///   header: {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
///            "data_offsets": [begin, end]}, ...}
///
/// Offsets are relative to the data section; the tensors are little-endian, row-major,
/// and tile the data section exactly (no gaps, no overlaps), as the reference
/// implementation requires.
///
///   save_safetensors(path, {{name, &tensor}, ...}, metadata)  float -> F32, double -> F64
///   SafetensorsFile f = load_safetensors(path);               validates everything first
///   f.copy_to(name, dst);            shape must match dst's; F32 <-> F64 converted
///   load_into(f, {{name, &dst}, ...});  checks every target, then copies all or nothing
///
/// Saving is atomic (temporary file, fsync, rename; see atomic_file.hpp): on failure the
/// previous file is untouched. Loading reads the whole file, checks the header's structure,
/// every dtype (all safetensors dtypes are accepted structurally; only F32 and F64 can be
/// copied into a Tensor), shape and offset before returning, so a bad file is a gan::Error
/// naming the file and the offending tensor, never a crash.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/tensor.hpp"
#include "gan/io/atomic_file.hpp"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "gan/io/safetensors.hpp copies tensors as little-endian bytes and needs a little-endian CPU"
#endif

namespace gan {

namespace detail {

/// Bytes per element of a safetensors dtype; 0 for an unknown name.
inline std::uint64_t safetensors_dtype_size(const std::string& dtype) noexcept {
  static const std::pair<const char*, std::uint64_t> sizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"I64", 8}, {"U64", 8},     {"F64", 8}};
  for (const auto& [name, size] : sizes)
    if (dtype == name) return size;
  return 0;
}

template <class T>
constexpr const char* safetensors_dtype() noexcept {
  return sizeof(T) == 4 ? "F32" : "F64";
}

inline std::string shape_str(const std::vector<index_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

inline bool same_shape(const std::vector<index_t>& dims, const Shape& shape) noexcept {
  if (static_cast<int>(dims.size()) != shape.rank()) return false;
  for (int i = 0; i < shape.rank(); ++i)
    if (dims[static_cast<std::size_t>(i)] != shape[i]) return false;
  return true;
}

}  // namespace detail

/// A validated safetensors file held in memory.
class SafetensorsFile {
 public:
  const std::string& path() const noexcept { return path_; }
  /// Tensor names in the order of their data.
  const std::vector<std::string>& names() const noexcept { return names_; }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const std::vector<index_t>& shape(const std::string& name) const { return entry(name).shape; }
  /// "F32", "F64", ... as written in the file.
  const std::string& dtype(const std::string& name) const { return entry(name).dtype; }
  const std::map<std::string, std::string>& metadata() const noexcept { return metadata_; }

  /// Why `name` cannot be copied into a tensor of `shape`, or "" when it can.
  std::string check(const std::string& name, const Shape& shape) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) return "no tensor '" + name + "'";
    const Entry& e = it->second;
    if (e.dtype != "F32" && e.dtype != "F64")
      return "tensor '" + name + "' has dtype " + e.dtype + "; only F32 and F64 can be loaded";
    if (!detail::same_shape(e.shape, shape))
      return "tensor '" + name + "' has shape " + detail::shape_str(e.shape) + ", expected " +
             shape.str();
    return "";
  }

  /// Copies tensor `name` into dst, whose shape must match; F32 and F64 convert.
  template <class T>
  void copy_to(const std::string& name, Tensor<T>& dst) const {
    const std::string problem = check(name, dst.shape());
    if (!problem.empty()) throw Error("safetensors: '" + path_ + "': " + problem);
    const Entry& e = entries_.at(name);
    const unsigned char* src = data_.data() + e.begin;
    const auto n = static_cast<std::size_t>(dst.size());
    if (e.dtype == detail::safetensors_dtype<T>()) {
      if (n > 0) std::memcpy(dst.data(), src, n * sizeof(T));
    } else if (e.dtype == "F32") {
      convert<float>(src, dst.data(), n);
    } else {
      convert<double>(src, dst.data(), n);
    }
  }

 private:
  friend SafetensorsFile load_safetensors(const std::string& path);

  struct Entry {
    std::string dtype;
    std::vector<index_t> shape;
    std::uint64_t begin = 0, end = 0;
  };

  const Entry& entry(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end())
      throw Error("safetensors: '" + path_ + "' has no tensor '" + name + "'");
    return it->second;
  }

  // The data section need not be aligned for S: copy element by element.
  template <class S, class T>
  static void convert(const unsigned char* src, T* dst, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
      S v;
      std::memcpy(&v, src + i * sizeof(S), sizeof(S));
      dst[i] = static_cast<T>(v);
    }
  }

  std::string path_;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> names_;
  std::map<std::string, std::string> metadata_;
  std::vector<unsigned char> data_;
};

/// Reads and validates a whole safetensors file.
inline SafetensorsFile load_safetensors(const std::string& path) {
  using Json = nlohmann::json;
  const auto fail = [&path](const std::string& why) -> Error {
    return Error("safetensors: '" + path + "': " + why);
  };
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw fail("does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) throw fail("is not a regular file");
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) throw fail("cannot read its size: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail("cannot be opened");
  if (size < 8)
    throw fail("too short: " + std::to_string(size) +
               " bytes, expected at least the 8-byte header length");

  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > size - 8)
    throw fail("header length " + std::to_string(header_len) + " exceeds the " +
               std::to_string(size - 8) + " bytes after it");
  // The reference implementation's limit: a larger header is corruption, not a model.
  constexpr std::uint64_t max_header = 100'000'000;
  if (header_len > max_header)
    throw fail("header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  std::string header(static_cast<std::size_t>(header_len), '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));

  SafetensorsFile f;
  f.path_ = path;
  f.data_.resize(static_cast<std::size_t>(size - 8 - header_len));
  in.read(reinterpret_cast<char*>(f.data_.data()), static_cast<std::streamsize>(f.data_.size()));
  if (!in) throw fail("read failed (was the file changed while it was read?)");
  const std::uint64_t data_size = f.data_.size();

  Json json;
  try {
    json = Json::parse(header);
  } catch (const Json::exception& e) {
    throw fail(std::string("invalid JSON header: ") + e.what());
  }
  if (!json.is_object()) throw fail("the JSON header is not an object");

  const auto unsigned_value = [&](const Json& v, const std::string& what) -> std::uint64_t {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer()) throw fail(what + " is negative: " + v.dump());
    throw fail(what + " is not a non-negative integer: " + v.dump());
  };

  for (const auto& [name, value] : json.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw fail("__metadata__ is not an object");
      for (const auto& [key, v] : value.items()) {
        if (!v.is_string()) throw fail("__metadata__ value of '" + key + "' is not a string");
        f.metadata_[key] = v.get<std::string>();
      }
      continue;
    }
    const std::string what = "tensor '" + name + "'";
    if (!value.is_object()) throw fail(what + " is not an object");
    for (const char* key : {"dtype", "shape", "data_offsets"})
      if (!value.contains(key)) throw fail(what + " lacks \"" + key + "\"");
    if (value.size() != 3) throw fail(what + " has keys other than dtype, shape, data_offsets");
    SafetensorsFile::Entry e;
    if (!value["dtype"].is_string()) throw fail(what + " has a non-string dtype");
    e.dtype = value["dtype"].get<std::string>();
    const std::uint64_t elem = detail::safetensors_dtype_size(e.dtype);
    if (elem == 0) throw fail(what + " has unknown dtype '" + e.dtype + "'");
    const Json& shape = value["shape"];
    if (!shape.is_array()) throw fail(what + " has a shape that is not an array");
    std::uint64_t bytes = elem;
    for (const Json& d : shape) {
      const std::uint64_t dim = unsigned_value(d, what + " shape entry");
      if (dim > static_cast<std::uint64_t>(std::numeric_limits<index_t>::max()) ||
          (dim != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / dim))
        throw fail(what + " has an impossibly large shape " + shape.dump());
      bytes *= dim;
      e.shape.push_back(static_cast<index_t>(dim));
    }
    const Json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
      throw fail(what + " data_offsets is not [begin, end]");
    e.begin = unsigned_value(offsets[0], what + " data_offsets begin");
    e.end = unsigned_value(offsets[1], what + " data_offsets end");
    if (e.end < e.begin || e.end > data_size)
      throw fail(what + " data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                 "] lie outside the " + std::to_string(data_size) + "-byte data section");
    if (e.end - e.begin != bytes)
      throw fail(what + " (" + e.dtype + " " + detail::shape_str(e.shape) + ") needs " +
                 std::to_string(bytes) + " bytes, but its data_offsets [" +
                 std::to_string(e.begin) + ", " + std::to_string(e.end) + "] span " +
                 std::to_string(e.end - e.begin));
    f.entries_.emplace(name, std::move(e));
  }

  for (const auto& [name, e] : f.entries_) f.names_.push_back(name);
  std::stable_sort(f.names_.begin(), f.names_.end(), [&f](const auto& a, const auto& b) {
    const auto& ea = f.entries_.at(a);
    const auto& eb = f.entries_.at(b);
    return ea.begin != eb.begin ? ea.begin < eb.begin : ea.end < eb.end;
  });
  std::uint64_t next = 0;
  std::string previous;
  for (const std::string& name : f.names_) {
    const auto& e = f.entries_.at(name);
    if (e.begin < next)
      throw fail("tensors '" + previous + "' and '" + name + "' overlap in the data section");
    if (e.begin > next)
      throw fail("bytes [" + std::to_string(next) + ", " + std::to_string(e.begin) +
                 ") of the data section belong to no tensor");
    next = e.end;
    previous = name;
  }
  if (next != data_size)
    throw fail("the data section has " + std::to_string(data_size - next) +
               " bytes after the last tensor");
  return f;
}

/// Copies each named tensor of f into its target, after checking all of them: a missing
/// name or a wrong shape throws before any target is touched, naming every problem.
template <class T>
void load_into(const SafetensorsFile& f,
               const std::vector<std::pair<std::string, Tensor<T>*>>& targets) {
  std::string problems;
  int count = 0;
  for (const auto& [name, dst] : targets) {
    if (dst == nullptr) throw Error("load_into: target '" + name + "' is a null pointer");
    const std::string problem = f.check(name, dst->shape());
    if (problem.empty()) continue;
    problems += (count++ ? "; " : "") + problem;
  }
  if (count > 0)
    throw Error("safetensors: '" + f.path() + "': cannot load " + std::to_string(count) + " of " +
                std::to_string(targets.size()) + " tensors, none loaded: " + problems);
  for (const auto& [name, dst] : targets) f.copy_to(name, *dst);
}

/// Writes tensors (float as F32, double as F64) and string metadata atomically.
template <class T>
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, const Tensor<T>*>>& tensors,
                      const std::map<std::string, std::string>& metadata = {}) {
  using Json = nlohmann::ordered_json;
  const auto fail = [&path](const std::string& why) {
    return Error("safetensors: cannot write '" + path + "': " + why);
  };
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = std::move(meta);
  }
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (t == nullptr) throw fail("tensor '" + name + "' is a null pointer");
    if (name == "__metadata__") throw fail("'__metadata__' cannot name a tensor");
    if (header.contains(name)) throw fail("tensor name '" + name + "' appears twice");
    Json shape = Json::array();
    for (int i = 0; i < t->rank(); ++i) shape.push_back(t->dim(i));
    const std::uint64_t bytes = static_cast<std::uint64_t>(t->size()) * sizeof(T);
    header[name] = {{"dtype", detail::safetensors_dtype<T>()},
                    {"shape", std::move(shape)},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception& e) {
    throw fail(std::string("a name or metadata string is not valid UTF-8: ") + e.what());
  }
  // Padding to 8 bytes aligns the data section for readers that map the file.
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(text.size() >> (8 * i));

  detail::AtomicFile file(path, "safetensors");
  file.write(len_bytes, 8);
  file.write(text.data(), text.size());
  for (const auto& [name, t] : tensors)
    if (t->size() > 0) file.write(t->data(), static_cast<std::size_t>(t->size()) * sizeof(T));
  file.commit();
}

}  // namespace gan

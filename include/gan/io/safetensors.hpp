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
///
/// Limits, each checked before anything is allocated for it: the header is at most 100 MB
/// (the reference implementation's limit) and no longer than the file, its JSON nests at
/// most 8 levels (a safetensors header needs 3; nlohmann's parser and dump() recurse, and a
/// header nested 100,000 deep once overflowed the stack), every tensor's bytes lie inside
/// the file. The data section is read only after the header has passed. Messages quote
/// names and values from the file through detail::excerpt, never at unbounded length.
///
/// Only finite numbers are written or read: save_safetensors refuses a tensor holding a NaN
/// or an infinity (naming it; nothing is written), and copy_to / load_into refuse one in
/// the file, as they refuse an F64 value too large for an F32 target.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
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

/// "[2, 3]"; past 8 dimensions "[1, 1, 1, 1, 1, 1, 1, 1, ... (rank 1000)]".
inline std::string shape_str(const std::vector<index_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size() && i < 8; ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  if (dims.size() > 8) s += ", ... (rank " + std::to_string(dims.size()) + ")";
  return s + "]";
}

/// A JSON value as a message may quote it: scalars in full (strings cut by excerpt),
/// arrays and objects by their kind and size only.
template <class Json>
std::string json_excerpt(const Json& v) {
  if (v.is_array()) return "an array of " + std::to_string(v.size()) + " elements";
  if (v.is_object()) return "an object of " + std::to_string(v.size()) + " keys";
  if (v.is_string()) return "\"" + excerpt(v.template get<std::string>(), 40) + "\"";
  return v.dump();
}

/// The deepest nesting of arrays and objects in JSON text, counted without parsing (brackets
/// inside strings do not count); stops counting once `limit` is passed and returns the byte
/// offset where that happened through `at`.
inline int json_depth(const std::string& text, int limit, std::size_t& at) noexcept {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (depth > limit) {
        at = i;
        return depth;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

/// Index of the first value of n elements of S at src that is not finite, or that does not
/// fit T when S is wider; n when all do. The data need not be aligned for S.
template <class S, class T>
std::size_t first_unfit(const unsigned char* src, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    S v;
    std::memcpy(&v, src + i * sizeof(S), sizeof(S));
    if (!std::isfinite(v)) return i;
    if (sizeof(S) > sizeof(T) && std::abs(v) > static_cast<S>(std::numeric_limits<T>::max()))
      return i;
  }
  return n;
}

/// "nan", "inf", "-inf" or the value.
inline std::string number_str(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
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

  /// Why `name` cannot be copied into a Tensor<T> of `shape`, or "" when it can: a missing
  /// name, a dtype other than F32/F64, another shape, or a value that is not finite (or, from
  /// F64 into float, too large for float).
  template <class T = double>
  std::string check(const std::string& name, const Shape& shape) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) return "no tensor '" + detail::excerpt(name) + "'";
    const Entry& e = it->second;
    const std::string what = "tensor '" + detail::excerpt(name) + "'";
    if (e.dtype != "F32" && e.dtype != "F64")
      return what + " has dtype " + e.dtype + "; only F32 and F64 can be loaded";
    if (!detail::same_shape(e.shape, shape))
      return what + " has shape " + detail::shape_str(e.shape) + ", expected " + shape.str();
    const auto n = static_cast<std::size_t>(shape.numel());
    const unsigned char* src = data_.data() + e.begin;
    const std::size_t bad = e.dtype == "F32" ? detail::first_unfit<float, T>(src, n)
                                             : detail::first_unfit<double, T>(src, n);
    if (bad == n) return "";
    const double v =
        e.dtype == "F32" ? static_cast<double>(load<float>(src, bad)) : load<double>(src, bad);
    return what +
           (std::isfinite(v) ? " holds a value too large for F32 ("
                             : " holds a non-finite value (") +
           detail::number_str(v) + " at element " + std::to_string(bad) + " of " +
           std::to_string(n) + ")";
  }

  /// Copies tensor `name` into dst, whose shape must match; F32 and F64 convert.
  template <class T>
  void copy_to(const std::string& name, Tensor<T>& dst) const {
    const std::string problem = check<T>(name, dst.shape());
    if (!problem.empty()) throw Error("safetensors: '" + path_ + "': " + problem);
    copy_checked(name, dst);
  }

 private:
  friend SafetensorsFile load_safetensors(const std::string& path);
  template <class T>
  friend void load_into(const SafetensorsFile& f,
                        const std::vector<std::pair<std::string, Tensor<T>*>>& targets);

  struct Entry {
    std::string dtype;
    std::vector<index_t> shape;
    std::uint64_t begin = 0, end = 0;
  };

  const Entry& entry(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end())
      throw Error("safetensors: '" + path_ + "' has no tensor '" + detail::excerpt(name) + "'");
    return it->second;
  }

  // After check<T>() found nothing wrong.
  template <class T>
  void copy_checked(const std::string& name, Tensor<T>& dst) const {
    const Entry& e = entries_.at(name);
    const unsigned char* src = data_.data() + e.begin;
    const auto n = static_cast<std::size_t>(dst.size());
    if (e.dtype == detail::safetensors_dtype<T>()) {
      if (n > 0) std::memcpy(dst.data(), src, n * sizeof(T));
    } else if (e.dtype == "F32") {
      for (std::size_t i = 0; i < n; ++i) dst.data()[i] = static_cast<T>(load<float>(src, i));
    } else {
      for (std::size_t i = 0; i < n; ++i) dst.data()[i] = static_cast<T>(load<double>(src, i));
    }
  }

  // The data section need not be aligned for S: copy element by element.
  template <class S>
  static S load(const unsigned char* src, std::size_t i) noexcept {
    S v;
    std::memcpy(&v, src + i * sizeof(S), sizeof(S));
    return v;
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
  using detail::excerpt;
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
  if (!in) throw fail("read failed (was the file changed while it was read?)");
  const std::uint64_t data_size = size - 8 - header_len;

  // nlohmann's parser and dump() recurse once per level: bound the depth before parsing.
  constexpr int max_depth = 8;
  std::size_t deep_at = 0;
  if (detail::json_depth(header, max_depth, deep_at) > max_depth)
    throw fail("the JSON header nests deeper than " + std::to_string(max_depth) +
               " levels (at byte " + std::to_string(deep_at) + "); a safetensors header needs 3");
  Json json;
  try {
    json = Json::parse(header);
  } catch (const Json::exception& e) {
    // nlohmann quotes what it last read, which can be the whole header.
    throw fail("invalid JSON header: " + excerpt(e.what(), 160));
  }
  if (!json.is_object()) throw fail("the JSON header is not an object");

  const auto unsigned_value = [&](const Json& v, const std::string& what) -> std::uint64_t {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer()) throw fail(what + " is negative: " + v.dump());
    throw fail(what + " is not a non-negative integer: " + detail::json_excerpt(v));
  };

  SafetensorsFile f;
  f.path_ = path;
  for (const auto& [name, value] : json.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw fail("__metadata__ is not an object");
      for (const auto& [key, v] : value.items()) {
        if (!v.is_string())
          throw fail("__metadata__ value of '" + excerpt(key) + "' is not a string but " +
                     detail::json_excerpt(v));
        f.metadata_[key] = v.get<std::string>();
      }
      continue;
    }
    const std::string what = "tensor '" + excerpt(name) + "'";
    if (!value.is_object()) throw fail(what + " is not an object");
    for (const char* key : {"dtype", "shape", "data_offsets"})
      if (!value.contains(key)) throw fail(what + " lacks \"" + key + "\"");
    if (value.size() != 3) throw fail(what + " has keys other than dtype, shape, data_offsets");
    SafetensorsFile::Entry e;
    if (!value["dtype"].is_string()) throw fail(what + " has a non-string dtype");
    e.dtype = value["dtype"].get<std::string>();
    const std::uint64_t elem = detail::safetensors_dtype_size(e.dtype);
    if (elem == 0) throw fail(what + " has unknown dtype '" + excerpt(e.dtype, 16) + "'");
    const Json& shape = value["shape"];
    if (!shape.is_array()) throw fail(what + " has a shape that is not an array");
    // bytes: the tensor's size; numel: the product of its non-zero dimensions, which must
    // fit index_t too (a shape [0, 2^62, 2^62] holds nothing, but no Shape can hold it).
    std::uint64_t bytes = elem, numel = 1;
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<index_t>::max());
    for (const Json& d : shape) {
      const std::uint64_t dim = unsigned_value(d, what + " shape entry");
      if (dim > limit || (dim != 0 && (bytes > std::numeric_limits<std::uint64_t>::max() / dim ||
                                       numel > limit / dim)))
        throw fail(what + " has an impossibly large shape: dimension " +
                   std::to_string(e.shape.size()) + " = " + std::to_string(dim) + " after " +
                   detail::shape_str(e.shape));
      bytes *= dim;
      if (dim != 0) numel *= dim;
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
      throw fail("tensors '" + excerpt(previous) + "' and '" + excerpt(name) +
                 "' overlap in the data section");
    if (e.begin > next)
      throw fail("bytes [" + std::to_string(next) + ", " + std::to_string(e.begin) +
                 ") of the data section belong to no tensor");
    next = e.end;
    previous = name;
  }
  if (next != data_size)
    throw fail("the data section has " + std::to_string(data_size - next) +
               " bytes after the last tensor");

  // Only now, with every offset known to lie inside the file, is the data read.
  f.data_.resize(static_cast<std::size_t>(data_size));
  in.read(reinterpret_cast<char*>(f.data_.data()), static_cast<std::streamsize>(data_size));
  if (!in || in.gcount() != static_cast<std::streamsize>(data_size))
    throw fail("read failed (was the file changed while it was read?)");
  return f;
}

/// Copies each named tensor of f into its target, after checking all of them: a missing
/// name, a wrong shape or a non-finite value throws before any target is touched, naming
/// every problem (the first 16).
template <class T>
void load_into(const SafetensorsFile& f,
               const std::vector<std::pair<std::string, Tensor<T>*>>& targets) {
  std::string problems;
  int count = 0;
  for (const auto& [name, dst] : targets) {
    if (dst == nullptr) throw Error("load_into: target '" + name + "' is a null pointer");
    const std::string problem = f.check<T>(name, dst->shape());
    if (problem.empty()) continue;
    if (count < 16) problems += (count ? "; " : "") + problem;
    ++count;
  }
  if (count > 16) problems += "; and " + std::to_string(count - 16) + " more";
  if (count > 0)
    throw Error("safetensors: '" + f.path() + "': cannot load " + std::to_string(count) + " of " +
                std::to_string(targets.size()) + " tensors, none loaded: " + problems);
  for (const auto& [name, dst] : targets) f.copy_checked(name, *dst);
}

/// Writes tensors (float as F32, double as F64) and string metadata atomically. Refuses a
/// tensor that holds a NaN or an infinity, before anything is written.
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
    // A checkpoint never holds a NaN or an infinity: refuse before a byte is written, so
    // the previous file stays the last good one.
    const auto n = static_cast<std::size_t>(t->size());
    const std::size_t bad =
        detail::first_unfit<T, T>(reinterpret_cast<const unsigned char*>(t->data()), n);
    if (bad != n)
      throw fail("tensor '" + name + "' holds a non-finite value (" +
                 detail::number_str(static_cast<double>(t->data()[bad])) + " at element " +
                 std::to_string(bad) + " of " + std::to_string(n) + "); nothing was written");
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

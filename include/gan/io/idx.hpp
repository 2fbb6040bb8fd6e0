#pragma once
/// IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.,
/// http://yann.lecun.com/exdb/mnist/): a big-endian magic 0x00 0x00 <type> <rank>, then
/// `rank` big-endian u32 dimensions, then the elements row-major. Only type 0x08
/// (unsigned byte) is read, the type of every MNIST-format file.
///
///   read_idx(path, limits = {})           -> IdxFile {dims, bytes}, any rank >= 1
///   read_idx_images<T>(path, limits = {}) -> [N, 1, H, W] in [0, 1] (byte / 255); rank 3
///                                            (magic 0x00000803)
///   read_idx_labels(path, limits = {})    -> N bytes; rank-1 files (0x0801)
///
/// A file may be raw or gzip'd: zlib recognises gzip by its magic bytes (1f 8b), not by
/// the name. Everything is validated before it is returned: an unreadable or corrupt file,
/// a wrong magic or rank, a zero dimension, and a payload shorter or longer than the header
/// promises all throw gan::Error naming the file, e.g.
/// `idx: 'x.gz' truncated: expected 7840016 bytes, read 4096` (whole-file byte counts,
/// header included, as after decompression). A gzip stream cut before its trailer (CRC-32
/// and length) is truncated too, even when the payload is complete.
///
/// Memory follows the file, not the header's claim. Before anything is allocated for the
/// payload, the size the header declares (header + product of dims) must be
///   - at most IdxLimits::max_bytes (1 GiB by default: Fashion-MNIST's 60,000 images are
///     47 MB, EMNIST's largest set 640 MB; raise it for larger files),
///   - exactly the file's size for a raw file, and
///   - at most 1032 times the file's size for a gzip file (deflate's largest expansion
///     ratio, https://zlib.net/zlib_tech.html), so a 2 MB file cannot claim 4 GB.
/// The payload's storage is then reserved once and filled as the stream delivers it, so a
/// stream that ends early costs only what it delivered.

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/tensor.hpp"

namespace gan {

/// How large a file read_idx accepts: the size its header declares, header included.
struct IdxLimits {
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
};

/// The contents of an unsigned-byte IDX file.
struct IdxFile {
  std::vector<index_t> dims;        // outermost first, e.g. {60000, 28, 28}
  std::vector<std::uint8_t> bytes;  // product(dims) elements, row-major
};

namespace detail {

/// Reads a whole file through zlib, which passes raw files through unchanged.
class IdxReader {
 public:
  explicit IdxReader(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) fail("does not exist");
    if (std::filesystem::is_directory(path, ec)) fail("is a folder, not a file");
    file_size_ = std::filesystem::file_size(path, ec);
    if (ec) file_size_ = 0;
    empty_ = file_size_ == 0 && !ec;
    // gzip by its magic bytes (RFC 1952), as zlib decides.
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      unsigned char magic[2] = {};
      gzip_ = std::fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
      std::fclose(f);
    }
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr)
      fail(std::string("cannot be opened: ") + (errno ? std::strerror(errno) : "out of memory"));
    // A larger buffer than zlib's 8 KiB default, so MNIST's 47 MB decompress in fewer
    // calls; no larger than the file needs.
    gzbuffer(file_,
             static_cast<unsigned>(std::clamp<std::uint64_t>(file_size_, 1u << 13, 1u << 17)));
  }
  IdxReader(const IdxReader&) = delete;
  IdxReader& operator=(const IdxReader&) = delete;
  ~IdxReader() {
    if (file_ != nullptr) gzclose(file_);
  }

  /// Reads up to n bytes; fewer only at the end of the data. Corrupt data throws.
  std::size_t read(void* dst, std::size_t n) {
    char* p = static_cast<char*>(dst);
    std::size_t total = 0;
    while (total < n) {
      // gzread takes an unsigned count: read in chunks well below its limit.
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 24));
      const int got = gzread(file_, p + total, chunk);
      if (got < 0) corrupt();
      if (got == 0) break;
      total += static_cast<std::size_t>(got);
    }
    // zlib reports a gzip stream cut short as a short read plus Z_BUF_ERROR; the caller's
    // byte count then tells the user more than zlib's "unexpected end of file".
    int err = Z_OK;
    gzerror(file_, &err);
    if (err != Z_OK && err != Z_BUF_ERROR) corrupt();
    if (err == Z_BUF_ERROR) cut_short_ = true;
    consumed_ += total;
    return total;
  }

  /// Reads to the end, returning how many bytes were left.
  std::uint64_t skip_rest() {
    std::vector<char> scratch(1u << 12);
    std::uint64_t rest = 0;
    while (const std::size_t got = read(scratch.data(), scratch.size())) rest += got;
    return rest;
  }

  std::uint64_t consumed() const noexcept { return consumed_; }
  /// The size of the file on disk (compressed, for gzip).
  std::uint64_t file_size() const noexcept { return file_size_; }
  bool gzip() const noexcept { return gzip_; }
  /// zlib met the end of the file inside a gzip stream (before its trailer).
  bool cut_short() const noexcept { return cut_short_; }
  /// The file on disk has no bytes at all (as opposed to a gzip stream of none).
  bool empty_file() const noexcept { return empty_; }

  [[noreturn]] void fail(const std::string& why) const {
    throw Error("idx: '" + path_ + "' " + why);
  }

 private:
  [[noreturn]] void corrupt() const {
    int err = Z_OK;
    const char* zlib_msg = gzerror(file_, &err);
    std::string msg = err == Z_ERRNO ? std::strerror(errno) : zlib_msg ? zlib_msg : "unknown";
    // zlib prefixes its message with the path, which ours already names.
    if (msg.compare(0, path_.size() + 2, path_ + ": ") == 0) msg.erase(0, path_.size() + 2);
    fail("is corrupt (zlib: " + msg + ")");
  }

  std::string path_;
  gzFile file_ = nullptr;
  std::uint64_t consumed_ = 0, file_size_ = 0;
  bool empty_ = false, gzip_ = false, cut_short_ = false;
};

/// "0x00000803" (digits = 8) or "0x0D" (digits = 2).
inline std::string idx_hex(std::uint32_t v, int digits = 8) {
  static const char symbols[] = "0123456789ABCDEF";
  std::string s = "0x";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) s += symbols[(v >> shift) & 0xFu];
  return s;
}

}  // namespace detail

/// Reads an unsigned-byte IDX file of any rank (raw or gzip'd).
inline IdxFile read_idx(const std::string& path, const IdxLimits& limits = {}) {
  detail::IdxReader in(path);
  unsigned char magic[4] = {};
  const std::size_t got = in.read(magic, 4);
  if (got == 0 && in.empty_file()) in.fail("is empty");
  if (got < 4)
    in.fail("truncated: expected a 4-byte magic number, read " + std::to_string(got) + " bytes");
  const std::uint32_t magic_value = (std::uint32_t{magic[0]} << 24) |
                                    (std::uint32_t{magic[1]} << 16) |
                                    (std::uint32_t{magic[2]} << 8) | std::uint32_t{magic[3]};
  if (magic[0] != 0 || magic[1] != 0)
    in.fail("is not an IDX file: magic " + detail::idx_hex(magic_value) +
            " does not start with two zero bytes");
  if (magic[2] != 0x08)
    in.fail("has element type " + detail::idx_hex(magic[2], 2) + " (magic " +
            detail::idx_hex(magic_value) + "); only unsigned bytes (0x08) are supported");
  const int rank = magic[3];
  if (rank == 0) in.fail("has rank 0 (magic " + detail::idx_hex(magic_value) + ")");

  IdxFile out;
  const std::uint64_t header = 4 + 4 * static_cast<std::uint64_t>(rank);
  std::vector<unsigned char> raw(static_cast<std::size_t>(4 * rank));
  const std::size_t got_dims = in.read(raw.data(), raw.size());
  if (got_dims < raw.size())
    in.fail("truncated: expected a " + std::to_string(header) + "-byte header, read " +
            std::to_string(4 + got_dims) + " bytes");
  // Elements must fit index_t (signed) so that Tensor shapes can hold them.
  const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<index_t>::max());
  std::uint64_t count = 1;
  std::string dims = "[";
  for (int i = 0; i < rank; ++i) {
    const unsigned char* b = raw.data() + 4 * i;
    const std::uint64_t d = (std::uint64_t{b[0]} << 24) | (std::uint64_t{b[1]} << 16) |
                            (std::uint64_t{b[2]} << 8) | std::uint64_t{b[3]};
    if (d == 0) in.fail("has a zero dimension (dimension " + std::to_string(i) + ")");
    if (count > (limit - header) / d)
      in.fail("claims more elements than can be addressed (dimension " + std::to_string(i) + " = " +
              std::to_string(d) + ")");
    count *= d;
    out.dims.push_back(static_cast<index_t>(d));
    if (i < 8) dims += (i ? ", " : "") + std::to_string(d);
  }
  dims += rank > 8 ? ", ...]" : "]";

  // The claim against the limit and against what the file can hold, before allocating.
  const std::uint64_t expected = header + count;
  if (expected > limits.max_bytes)
    in.fail("claims " + std::to_string(expected) + " bytes (dimensions " + dims +
            "), more than the limit of " + std::to_string(limits.max_bytes) +
            " bytes (gan::IdxLimits::max_bytes)");
  if (!in.gzip() && in.file_size() < expected)
    in.fail("truncated: expected " + std::to_string(expected) + " bytes, read " +
            std::to_string(in.file_size()));
  constexpr std::uint64_t deflate_max_ratio = 1032;
  if (in.gzip() && in.file_size() < (expected + deflate_max_ratio - 1) / deflate_max_ratio)
    in.fail("truncated: expected " + std::to_string(expected) + " bytes (dimensions " + dims +
            "), more than a " + std::to_string(in.file_size()) +
            "-byte gzip file can hold (deflate expands at most 1032:1)");

  // Reserved once, filled in chunks that start at 64 KiB and double up to 4 MiB: pages are
  // touched only as data arrives, so a stream that ends early costs what it delivered.
  out.bytes.reserve(static_cast<std::size_t>(count));
  std::size_t step = std::size_t{1} << 16;
  while (out.bytes.size() < count) {
    const std::size_t have = out.bytes.size();
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(count - have, step));
    out.bytes.resize(have + want);
    const std::size_t n = in.read(out.bytes.data() + have, want);
    if (n < want)
      in.fail("truncated: expected " + std::to_string(expected) + " bytes, read " +
              std::to_string(in.consumed()));
    step = std::min(step * 2, std::size_t{1} << 22);
  }
  const std::uint64_t extra = in.skip_rest();
  if (extra > 0)
    in.fail("has " + std::to_string(extra) + " bytes after its " + std::to_string(expected) +
            "-byte contents: expected exactly " + std::to_string(expected) + " bytes, read " +
            std::to_string(in.consumed()));
  if (in.cut_short())
    in.fail("truncated: the gzip stream ends before its trailer (CRC-32 and length), so its " +
            std::to_string(expected) + " bytes cannot be verified");
  return out;
}

/// Images of a rank-3 IDX file (magic 0x00000803) as [N, 1, H, W], scaled to [0, 1].
template <class T>
Tensor<T> read_idx_images(const std::string& path, const IdxLimits& limits = {}) {
  const IdxFile f = read_idx(path, limits);
  if (f.dims.size() != 3)
    throw Error("idx: '" + path + "' holds rank-" + std::to_string(f.dims.size()) +
                " data (magic " + detail::idx_hex(0x800u + static_cast<unsigned>(f.dims.size())) +
                "); images need rank 3 (magic 0x00000803)");
  Tensor<T> images({f.dims[0], 1, f.dims[1], f.dims[2]});
  T scale[256];
  for (int v = 0; v < 256; ++v) scale[v] = static_cast<T>(v) / T(255);
  T* out = images.data();
  for (std::size_t i = 0; i < f.bytes.size(); ++i) out[i] = scale[f.bytes[i]];
  return images;
}

/// Labels of a rank-1 IDX file (magic 0x00000801), one byte per sample.
inline std::vector<std::uint8_t> read_idx_labels(const std::string& path,
                                                 const IdxLimits& limits = {}) {
  IdxFile f = read_idx(path, limits);
  if (f.dims.size() != 1)
    throw Error("idx: '" + path + "' holds rank-" + std::to_string(f.dims.size()) +
                " data (magic " + detail::idx_hex(0x800u + static_cast<unsigned>(f.dims.size())) +
                "); labels need rank 1 (magic 0x00000801)");
  return std::move(f.bytes);
}

}  // namespace gan

// Fuzz target: read_idx through zlib on well-formed gzip streams. Random bytes rarely get
// past gzip's own checks, so this target compresses its input itself: byte 0 says how many
// bytes to cut off the end of the compressed stream (0: none, as a truncated download),
// the rest is the uncompressed IDX file. The decompressed-size and ratio limits are what
// it exercises; fuzz_idx covers corrupt compressed bytes.

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "gan/io/idx.hpp"

namespace {

std::vector<unsigned char> gzip(const std::uint8_t* data, std::size_t size) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper, as gzip(1) and Python's gzip module write.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<unsigned char> out(deflateBound(&z, static_cast<uLong>(size)) + 32);
  z.next_in = const_cast<Bytef*>(data);  // zlib's API is not const-correct; it only reads
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::vector<unsigned char> z = gzip(data + 1, size - 1);
  z.resize(z.size() - std::min<std::size_t>(z.size(), data[0] % 64));
  const std::string& path = gan_fuzz::as_file(z.data(), z.size(), ".idx.gz");
  try {
    const gan::IdxFile f = gan::read_idx(path);
    std::size_t count = 1;
    for (gan::index_t d : f.dims) count *= static_cast<std::size_t>(d);
    if (f.dims.empty() || count != f.bytes.size()) std::abort();
    // A stream that loads must be the whole input: header, dims and payload, nothing cut.
    if (data[0] % 64 != 0 || 4 + 4 * f.dims.size() + count != size - 1) std::abort();
  } catch (const gan::Error& e) {
    gan_fuzz::check_message(e);
  }
  return 0;
}

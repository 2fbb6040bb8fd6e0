// Fuzz target: read_idx, read_idx_images and read_idx_labels on arbitrary file contents
// (raw IDX, and gzip streams, which zlib recognises by their magic bytes 1f 8b).
// Contract under test: any input either loads or throws gan::Error with a bounded message;
// nothing else escapes, nothing crashes, nothing allocates beyond the limits.

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz/fuzz_support.hpp"
#include "gan/io/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = gan_fuzz::as_file(data, size, ".idx");
  try {
    const gan::IdxFile f = gan::read_idx(path);
    std::size_t count = 1;
    for (gan::index_t d : f.dims) count *= static_cast<std::size_t>(d);
    if (f.dims.empty() || count != f.bytes.size()) std::abort();
  } catch (const gan::Error& e) {
    gan_fuzz::check_message(e);
  }
  try {
    const gan::Tensor<float> images = gan::read_idx_images<float>(path);
    for (float v : images)
      if (!(v >= 0.0f && v <= 1.0f)) std::abort();
  } catch (const gan::Error& e) {
    gan_fuzz::check_message(e);
  }
  try {
    static_cast<void>(gan::read_idx_labels(path));
  } catch (const gan::Error& e) {
    gan_fuzz::check_message(e);
  }
  return 0;
}

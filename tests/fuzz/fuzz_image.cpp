// Fuzz target: decode_image (stb_image behind gan/io/image.hpp: PNG, JPEG, BMP, TGA, GIF)
// in grey and RGB, then resize_center_crop to a model's size. Built only where
// gan/io/image.hpp exists (tests/fuzz/CMakeLists.txt).
// Contract under test: any bytes either decode to an image whose pixel count matches its
// shape or throw gan::Error with a bounded message; limits hold before decoding.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "gan/io/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (const int channels : {1, 3}) {
    gan::ImageOptions options;
    options.channels = channels;
    // Small limits keep every input's memory bounded; they are what is under test too.
    options.limits.max_pixels = std::int64_t{1} << 22;
    options.limits.max_file_bytes = std::int64_t{1} << 20;
    try {
      const gan::Image image = gan::decode_image(data, size, "fuzz", options);
      const auto pixels = static_cast<std::size_t>(image.channels) *
                          static_cast<std::size_t>(image.height) *
                          static_cast<std::size_t>(image.width);
      if (image.channels != channels || image.pixels.size() != pixels ||
          std::int64_t{image.height} * image.width > options.limits.max_pixels)
        std::abort();
      for (const int side : {28, 32}) {
        const gan::Image small = gan::resize_center_crop(image, side);
        if (small.height != side || small.width != side ||
            small.pixels.size() != static_cast<std::size_t>(channels * side * side))
          std::abort();
      }
    } catch (const gan::Error& e) {
      gan_fuzz::check_message(e);
    }
  }
  return 0;
}

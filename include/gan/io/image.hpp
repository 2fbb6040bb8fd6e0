#pragma once
/// Image decoding (PNG, JPEG, BMP, TGA, GIF) and resizing to a square model size.
///
///   image_info(bytes, size, name, limits)     -> ImageInfo {width, height, channels in file}
///   decode_image(bytes, size, name, options)  -> Image: pixels [C, H, W] uint8, planar
///   read_image(path, options)                 -> the same, from a file
///   resize_center_crop(image, size)           -> Image [C, size, size]
///
/// Decoding is stb_image's (8 bits per channel; 16-bit PNGs are reduced to 8; a GIF gives
/// its first frame). The header is read first (stb's per-format info functions) and an image of
/// more than ImageLimits::max_pixels pixels is refused before anything is decoded, as is a file of
/// more than max_file_bytes bytes before it is read: both throw ImageLimitError. Corrupt or
/// truncated data throws gan::Error naming the image and stb's reason. A JPEG whose Huffman
/// tables would overrun stb 2.27's arrays is refused before stb reads it (jpeg_guard.hpp), and so
/// is a PNG whose first IDAT chunk is empty (png_guard.hpp).
///
/// Output channels: 1 (grey) or 3 (RGB). Grey is the luma of ITU-R BT.601 with PIL's
/// integer weights, L = (19595 R + 38470 G + 7471 B + 2^15) >> 16, so it equals PIL's
/// convert("L") (and hence torchvision's Grayscale on PIL images); grey to RGB repeats L.
/// Alpha (grey+alpha, RGBA, a PNG palette with transparency, GIF) is by default composited
/// over `background` (black): out = (c a + bg (255 - a) + 127) / 255. Sprites and icons keep
/// arbitrary colours under their fully transparent pixels (often black, sometimes garbage):
/// compositing shows the background there instead, and black is what a Tanh model's -1 and
/// make_grid's padding are. Alpha::drop ignores alpha, as PIL's convert("RGB") does.
///
/// resize_center_crop has torchvision's Resize(size) + CenterCrop(size) semantics: the
/// shorter side becomes `size`, the longer one int(size * long / short), then the centre
/// size x size is cut out, its top-left at round((H - size) / 2), round((W - size) / 2) with
/// Python's round (half to even). The filter is stb_image_resize's triangle filter, which
/// stb widens by the scale factor when downscaling: that is PIL's and torchvision's default
/// antialiased BILINEAR (a tent over the source pixels a destination pixel covers), so
/// downscaling averages instead of aliasing, and upscaling is bilinear interpolation. It has
/// no negative lobes, so unlike Catmull-Rom or Mitchell (stb's defaults) it never rings
/// around the hard edges of pixel art. Edges are clamped (stb's default). Filtering works on
/// the stored (sRGB-encoded) values, as PIL and torchvision do, so our data matches what a
/// PyTorch pipeline would feed a model; a physically exact downscale would linearise first
/// (STBIR_COLORSPACE_SRGB), which darkens fine light-on-dark detail less but differs from
/// every PyTorch data set. An image already of the target size is only cropped. Only the
/// crop is resized (from the source pixels it needs), so a long thin image costs no more
/// than a square one.
///
/// stb_image and stb_image_resize are compiled into this header with static linkage
/// (STB_IMAGE_STATIC, STB_IMAGE_RESIZE_STATIC), so every translation unit gets a private
/// copy, as gan/io/png.hpp does for stb_image_write. stb's failure reason is thread-local,
/// so images may be decoded on several threads at once.

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/io/jpeg_guard.hpp"
#include "gan/io/png_guard.hpp"

#ifndef GAN_IO_STB_IMAGE_COMPILED
#define GAN_IO_STB_IMAGE_COMPILED
#if defined(STBI_INCLUDE_STB_IMAGE_H) || defined(STBIR_INCLUDE_STB_IMAGE_RESIZE_H)
// Their declarations, already seen without the STATIC macros, would clash with ours.
#error "gan/io/image.hpp compiles its own stb_image and stb_image_resize: include it first"
#endif
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO  // we read files ourselves, to check their size first
#define STBI_NO_LINEAR
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_GIF
#define STB_IMAGE_RESIZE_STATIC
#define STB_IMAGE_RESIZE_IMPLEMENTATION
// stb_image_resize 0.97 asserts that a destination pixel's filter weights sum to within 10%
// of 1 before it divides them by their sum; its triangle filter misses that bound for some
// downscaling ratios (9 -> 6 pixels is one), so the assert would stop every build without
// NDEBUG. The division that follows makes the weights sum to 1 either way. Its other
// asserts check arguments, which resize_center_crop validates itself.
#define STBIR_ASSERT(x) ((void)0)
// stb is not written for -Wall -Wextra -Wpedantic -Werror; its warnings are not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>
#pragma GCC diagnostic pop
#undef STB_IMAGE_IMPLEMENTATION
#undef STB_IMAGE_RESIZE_IMPLEMENTATION
#endif

namespace gan {

/// What happens to an image's alpha channel (see the file comment).
enum class Alpha { composite, drop };

inline const char* to_string(Alpha a) noexcept {
  return a == Alpha::composite ? "composite" : "drop";
}

/// Refusals made before any decoding, so a hostile or mistaken file cannot make us
/// allocate gigabytes. The defaults admit an 8192 x 8192 image (256 MiB as RGBA).
struct ImageLimits {
  std::int64_t max_pixels = std::int64_t(8192) * 8192;  ///< width * height
  std::int64_t max_file_bytes = std::int64_t(128) << 20;
};

struct ImageOptions {
  int channels = 3;                                 ///< 1 (grey) or 3 (RGB)
  Alpha alpha = Alpha::composite;                   ///< what to do with transparency
  std::array<std::uint8_t, 3> background{0, 0, 0};  ///< RGB that Alpha::composite shows through
  ImageLimits limits;
};

/// What a header says.
struct ImageInfo {
  int width = 0, height = 0;
  int channels = 0;  ///< in the file as stb reports it: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
};

/// An 8-bit image, planar: pixels [channels, height, width], row-major.
struct Image {
  int channels = 0, height = 0, width = 0;
  std::vector<std::uint8_t> pixels;

  std::uint8_t at(int c, int y, int x) const {
    return pixels[(static_cast<std::size_t>(c) * static_cast<std::size_t>(height) +
                   static_cast<std::size_t>(y)) *
                      static_cast<std::size_t>(width) +
                  static_cast<std::size_t>(x)];
  }
};

/// An image refused by ImageLimits (too many pixels, too many bytes). An image folder
/// stops on it rather than skipping it: a limit is a setting to change, not a bad file.
class ImageLimitError : public Error {
 public:
  using Error::Error;
};

namespace detail {

inline void check_image_options(const ImageOptions& o, const std::string& name) {
  if (o.channels != 1 && o.channels != 3)
    throw Error("image: '" + name + "': channels must be 1 (grey) or 3 (RGB), got " +
                std::to_string(o.channels));
  // stb counts in int: its buffers must stay below 2^31 bytes.
  if (o.limits.max_pixels < 1 || o.limits.max_pixels > (std::int64_t(1) << 28))
    throw Error("image: max_pixels must be in [1, 2^28], got " +
                std::to_string(o.limits.max_pixels));
  if (o.limits.max_file_bytes < 1 || o.limits.max_file_bytes > (std::int64_t(1) << 30))
    throw Error("image: max_file_bytes must be in [1, 2^30], got " +
                std::to_string(o.limits.max_file_bytes));
}

inline std::string stb_reason() {
  const char* r = stbi_failure_reason();
  // A PNG cut short after its image data ends in a chunk "type" of zero bytes, which stb
  // reports as an unknown chunk whose name is "\0\0\0\0": an empty string.
  return r != nullptr && *r != '\0' ? r : "no reason given";
}

/// stbi_info_from_memory, one format at a time: that function tries every reader in turn
/// and reports the last one's failure ("unknown image type"), losing the reason of the
/// reader whose signature matched ("too large", "bad IHDR len"). These are stb 2.27's own
/// per-format functions, compiled into this translation unit; each test rewinds.
inline bool stb_info(const std::uint8_t* data, std::size_t size, ImageInfo& info, bool& known) {
  stbi__context s;
  stbi__start_mem(&s, data, static_cast<int>(size));
  int* w = &info.width;
  int* h = &info.height;
  int* c = &info.channels;
  known = true;
  if (stbi__png_test(&s)) return stbi__png_info(&s, w, h, c) != 0;
  if (stbi__jpeg_test(&s)) return stbi__jpeg_info(&s, w, h, c) != 0;
  if (stbi__gif_test(&s)) return stbi__gif_info(&s, w, h, c) != 0;
  if (stbi__bmp_test(&s)) return stbi__bmp_info(&s, w, h, c) != 0;
  if (stbi__tga_test(&s)) return stbi__tga_info(&s, w, h, c) != 0;  // the weakest test, last
  known = false;
  return false;
}

/// Width and height from a PNG's IHDR, for the message when stb refuses the header itself
/// as too large; false when `data` is no PNG.
inline bool png_dimensions(const std::uint8_t* data, std::size_t size, std::uint32_t& w,
                           std::uint32_t& h) {
  static const std::uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size < 24 || std::memcmp(data, sig, 8) != 0 || std::memcmp(data + 12, "IHDR", 4) != 0)
    return false;
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t(data[at]) << 24) | (std::uint32_t(data[at + 1]) << 16) |
           (std::uint32_t(data[at + 2]) << 8) | std::uint32_t(data[at + 3]);
  };
  w = be32(16);
  h = be32(20);
  return true;
}

/// PIL's L = R * 299/1000 + G * 587/1000 + B * 114/1000 in 16-bit fixed point.
inline std::uint8_t luma(unsigned r, unsigned g, unsigned b) noexcept {
  return static_cast<std::uint8_t>((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}

inline std::uint8_t over(unsigned c, unsigned a, unsigned bg) noexcept {
  return static_cast<std::uint8_t>((c * a + bg * (255u - a) + 127u) / 255u);
}

/// stb's interleaved pixels, grey+alpha (n = 2) or RGBA (n = 4) -> o.channels (1 or 3);
/// channel c of pixel p goes to dst[c * cs + p * ps]: planar is (cs, ps) = (pixels, 1),
/// interleaved (1, o.channels).
inline void convert_pixels(const std::uint8_t* src, int n, std::size_t pixels,
                           const ImageOptions& o, std::uint8_t* dst, std::size_t cs,
                           std::size_t ps) {
  const bool composite = o.alpha == Alpha::composite;
  const unsigned bg_r = o.background[0], bg_g = o.background[1], bg_b = o.background[2];
  const unsigned bg_l = luma(bg_r, bg_g, bg_b);
  for (std::size_t p = 0; p < pixels; ++p) {
    const std::uint8_t* s = src + p * static_cast<std::size_t>(n);
    std::uint8_t* d = dst + p * ps;
    const unsigned a = s[n - 1];  // 255 where the file has no alpha: over() is then exact
    if (n == 2) {                 // grey source
      if (o.channels == 1) {
        d[0] = composite ? over(s[0], a, bg_l) : s[0];
      } else if (composite) {  // a grey pixel over a coloured background is coloured
        d[0] = over(s[0], a, bg_r);
        d[cs] = over(s[0], a, bg_g);
        d[2 * cs] = over(s[0], a, bg_b);
      } else {
        d[0] = d[cs] = d[2 * cs] = s[0];
      }
      continue;
    }
    std::uint8_t r = s[0], g = s[1], b = s[2];
    if (composite) {
      r = over(r, a, bg_r);
      g = over(g, a, bg_g);
      b = over(b, a, bg_b);
    }
    if (o.channels == 1) {
      d[0] = luma(r, g, b);
    } else {
      d[0] = r;
      d[cs] = g;
      d[2 * cs] = b;
    }
  }
}

/// Python's round(x / 2) for an integer x >= 0 (half to even).
inline int half_round_even(int x) noexcept {
  const int q = x / 2;
  return (x % 2 == 1 && q % 2 == 1) ? q + 1 : q;
}

}  // namespace detail

/// Reads an image's header; throws gan::Error if stb cannot, ImageLimitError if it is over
/// the limits. `name` is for messages (a path, or a description).
inline ImageInfo image_info(const std::uint8_t* data, std::size_t size, const std::string& name,
                            const ImageLimits& limits = {}) {
  if (static_cast<std::int64_t>(size) > limits.max_file_bytes)
    throw ImageLimitError("image: '" + name + "' has " + std::to_string(size) +
                          " bytes, over the limit of " + std::to_string(limits.max_file_bytes) +
                          " (ImageLimits::max_file_bytes)");
  if (size == 0) throw Error("image: '" + name + "' is empty (0 bytes)");
  if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw ImageLimitError("image: '" + name + "' has " + std::to_string(size) +
                          " bytes; stb_image reads at most 2^31 - 1");
  // Before stb parses the file: its JPEG reader would overrun its Huffman arrays.
  if (const int codes = detail::jpeg_most_huffman_codes(data, size); codes > 256)
    throw Error("image: cannot read '" + name + "': corrupt JPEG (a Huffman table declares " +
                std::to_string(codes) + " codes, at most 256 exist)");
  // ... and its PNG reader would copy to a null pointer.
  if (detail::png_first_idat_empty(data, size))
    throw Error("image: cannot read '" + name +
                "': corrupt PNG (an empty IDAT chunk before the image data)");
  ImageInfo info;
  bool known = false;
  if (!detail::stb_info(data, size, info, known)) {
    if (!known) throw Error("image: cannot read '" + name + "': not a PNG, JPEG, BMP, TGA or GIF");
    const std::string reason = detail::stb_reason();
    std::uint32_t w = 0, h = 0;
    // stb refuses a header whose decoded size would pass 2^30 bytes (or a side 2^24) itself.
    if (reason == "too large" && detail::png_dimensions(data, size, w, h))
      throw ImageLimitError("image: '" + name + "' is " + std::to_string(w) + " x " +
                            std::to_string(h) + " pixels, over the limit of " +
                            std::to_string(limits.max_pixels) +
                            " pixels (ImageLimits::max_pixels); not decoded");
    if (reason == "too large")
      throw ImageLimitError("image: '" + name +
                            "': its header claims an image too large to decode (stb_image: "
                            "over 2^30 bytes or 2^24 pixels a side); not decoded");
    throw Error("image: cannot read '" + name + "': corrupt header (stb_image: " + reason + ")");
  }
  const std::int64_t pixels = std::int64_t(info.width) * info.height;
  if (pixels > limits.max_pixels)
    throw ImageLimitError("image: '" + name + "' is " + std::to_string(info.width) + " x " +
                          std::to_string(info.height) + " pixels, over the limit of " +
                          std::to_string(limits.max_pixels) +
                          " pixels (ImageLimits::max_pixels); not decoded");
  return info;
}

namespace detail {

/// decode_image, into `out` planar [C, H, W] or, with `interleaved`, [H, W, C].
inline void decode(const std::uint8_t* data, std::size_t size, const std::string& name,
                   const ImageOptions& options, bool interleaved, Image& out) {
  detail::check_image_options(options, name);
  const ImageInfo info = image_info(data, size, name, options.limits);
  // Grey+alpha or RGBA, always: alpha, if any, reaches us and the conversions are ours. (With
  // 0, "as in the file", stb 2.27 returns 4 channels for an RGB PNG with a tRNS chunk but
  // says 3.) stb adds an opaque alpha where the file has none.
  const int n = info.channels <= 2 ? 2 : 4;
  int w = 0, h = 0, in_file = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> raw(
      stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &in_file, n), stbi_image_free);
  if (!raw)
    throw Error("image: cannot decode '" + name + "': " + stb_reason() + " (corrupt or truncated)");
  // The header was checked; the decoder must agree with it (GAN_ASSERT is for our bugs,
  // and a file that says two things is the file's).
  if (w != info.width || h != info.height)
    throw Error("image: '" + name + "': the header says " + std::to_string(info.width) + " x " +
                std::to_string(info.height) + ", the decoder gave " + std::to_string(w) + " x " +
                std::to_string(h));
  out.channels = options.channels;
  out.height = h;
  out.width = w;
  const std::size_t pixels = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  const auto c = static_cast<std::size_t>(out.channels);
  out.pixels.resize(pixels * c);
  convert_pixels(raw.get(), n, pixels, options, out.pixels.data(), interleaved ? 1 : pixels,
                 interleaved ? c : 1);
}

}  // namespace detail

/// Decodes an image held in memory into planar [options.channels, H, W] bytes.
inline Image decode_image(const std::uint8_t* data, std::size_t size, const std::string& name,
                          const ImageOptions& options = {}) {
  Image out;
  detail::decode(data, size, name, options, false, out);
  return out;
}

inline Image decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name,
                          const ImageOptions& options = {}) {
  return decode_image(bytes.data(), bytes.size(), name, options);
}

/// The whole file, refused (ImageLimitError) before reading if over max_file_bytes.
inline std::vector<std::uint8_t> read_image_file(const std::string& path,
                                                 const ImageLimits& limits = {}) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw Error("image: cannot read '" + path + "': " + ec.message());
  if (static_cast<std::int64_t>(size) > limits.max_file_bytes)
    throw ImageLimitError("image: '" + path + "' has " + std::to_string(size) +
                          " bytes, over the limit of " + std::to_string(limits.max_file_bytes) +
                          " (ImageLimits::max_file_bytes)");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error("image: cannot open '" + path +
                "': " + (errno ? std::strerror(errno) : "unknown error"));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size()))
    throw Error("image: '" + path + "': read " + std::to_string(in.gcount()) + " of " +
                std::to_string(bytes.size()) + " bytes");
  return bytes;
}

/// Reads and decodes an image file into planar [options.channels, H, W] bytes.
inline Image read_image(const std::string& path, const ImageOptions& options = {}) {
  detail::check_image_options(options, path);
  return decode_image(read_image_file(path, options.limits), path, options);
}

/// The height and width torchvision's Resize(size) gives an h x w image: the shorter side
/// becomes size, the longer int(size * long / short).
inline std::array<int, 2> resized_shape(int h, int w, int size) noexcept {
  const auto scaled = [&](int lng, int shrt) {
    return static_cast<int>(std::int64_t(size) * lng / shrt);
  };
  return h <= w ? std::array<int, 2>{size, scaled(w, h)} : std::array<int, 2>{scaled(h, w), size};
}

namespace detail {

/// Resize(size) + CenterCrop(size) of interleaved [h, w, c] pixels into planar
/// [c, size, size] `out`. One stb call for all channels: stb sets up its filters per call,
/// which costs more than the filtering of a small image.
///
/// Only the crop is resized: stb gets the window of source pixels the crop's filters reach
/// (plus a margin) and the same scale as for the whole image, with its output shifted to the
/// crop (stbir_resize_subpixel). Resizing the whole image and cropping afterwards cost
/// memory in proportion to the resized image (a 1 x 4,000,000 strip becomes 28 x 112,000,000)
/// and time in proportion to input width x output width (stb 0.97 normalises its
/// downsampling weights with a loop over both): a 63 x 24,887 image took 0.55 s.
inline void resize_crop_interleaved(const std::uint8_t* src, int c, int h, int w, int size,
                                    std::uint8_t* out) {
  const auto [rh, rw] = resized_shape(h, w, size);
  const int top = half_round_even(rh - size), left = half_round_even(rw - size);
  const auto n = static_cast<std::size_t>(size), cc = static_cast<std::size_t>(c);
  const auto row_bytes = static_cast<std::size_t>(w) * cc;
  const auto to_planar = [&](const std::uint8_t* from, std::size_t stride) {
    for (std::size_t y = 0; y < n; ++y)
      for (std::size_t x = 0; x < n; ++x)
        for (std::size_t k = 0; k < cc; ++k)
          out[(k * n + y) * n + x] = from[y * stride + x * cc + k];
  };
  if (rh == h && rw == w) {  // already of the size: only cropped
    to_planar(src + static_cast<std::size_t>(top) * row_bytes + static_cast<std::size_t>(left) * cc,
              row_bytes);
    return;
  }
  // The source rows (or columns) [first, last) whose filter taps reach the crop's `size`
  // outputs from output `from` on: the triangle's radius is one source pixel when upscaling
  // and 1/scale when downscaling, and 3 more pixels keep stb's clamped edge out of the crop.
  const auto window = [size](int in, int resized, int from) {
    const double scale = static_cast<double>(resized) / in;
    const double reach = (scale < 1 ? 1 / scale : 1) + 3;
    const int first = std::max(0, static_cast<int>(std::floor(from / scale - reach)));
    const int last = std::min(in, static_cast<int>(std::ceil((from + size) / scale + reach)));
    return std::array<int, 2>{first, last};
  };
  const auto [r0, r1] = window(h, rh, top);
  const auto [c0, c1] = window(w, rw, left);
  // stb's own scale for the whole image (output / input in float) and the crop's offset in
  // output pixels from the window's corner.
  const float sy = static_cast<float>(rh) / static_cast<float>(h);
  const float sx = static_cast<float>(rw) / static_cast<float>(w);
  std::vector<std::uint8_t> crop(n * n * cc);
  if (!stbir_resize_subpixel(
          src + static_cast<std::size_t>(r0) * row_bytes + static_cast<std::size_t>(c0) * cc,
          c1 - c0, r1 - r0, static_cast<int>(row_bytes), crop.data(), size, size, size * c,
          STBIR_TYPE_UINT8, c, STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP, STBIR_EDGE_CLAMP,
          STBIR_FILTER_TRIANGLE, STBIR_FILTER_TRIANGLE, STBIR_COLORSPACE_LINEAR, nullptr, sx, sy,
          static_cast<float>(left) - static_cast<float>(c0) * sx,
          static_cast<float>(top) - static_cast<float>(r0) * sy))
    throw Error("resize_center_crop: stb_image_resize failed (out of memory) resizing " +
                std::to_string(h) + " x " + std::to_string(w) + " to " + std::to_string(rh) +
                " x " + std::to_string(rw));
  to_planar(crop.data(), n * cc);
}

}  // namespace detail

/// Resize(size) + CenterCrop(size) of `image` (see the file comment) into `out`, which
/// holds image.channels * size * size bytes, planar.
inline void resize_center_crop(const Image& image, int size, std::uint8_t* out) {
  if (size < 1 || image.channels < 1 || image.height < 1 || image.width < 1 ||
      image.pixels.size() != static_cast<std::size_t>(image.channels) *
                                 static_cast<std::size_t>(image.height) *
                                 static_cast<std::size_t>(image.width))
    throw Error("resize_center_crop: cannot make " + std::to_string(size) + " x " +
                std::to_string(size) + " of an image of " + std::to_string(image.channels) + " x " +
                std::to_string(image.height) + " x " + std::to_string(image.width) + " with " +
                std::to_string(image.pixels.size()) + " bytes");
  const std::size_t plane = static_cast<std::size_t>(image.height) * image.width;
  const auto c = static_cast<std::size_t>(image.channels);
  std::vector<std::uint8_t> hwc(image.pixels.size());
  for (std::size_t k = 0; k < c; ++k)
    for (std::size_t p = 0; p < plane; ++p) hwc[p * c + k] = image.pixels[k * plane + p];
  detail::resize_crop_interleaved(hwc.data(), image.channels, image.height, image.width, size, out);
}

inline Image resize_center_crop(const Image& image, int size) {
  Image out;
  out.channels = image.channels;
  out.height = out.width = size;
  out.pixels.resize(static_cast<std::size_t>(image.channels) * (size > 0 ? size : 0) *
                    (size > 0 ? size : 0));
  resize_center_crop(image, size, out.pixels.data());
  return out;
}

}  // namespace gan

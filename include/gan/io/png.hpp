#pragma once
/// PNG output of images, laid out like torchvision.utils.make_grid.
///
///   write_png_grid(path, images [N, C, H, W], cols, padding, pad_value)
///   write_png(path, image [C, H, W] or [1, C, H, W])
///
/// C is 1 (grey) or 3 (RGB). Values are clamped to [0, 1] and stored as
/// floor(255 * v + 0.5), as torchvision.utils.save_image does; NaN is stored as 0.
/// The grid has `cols` cells per row (0: ceil(sqrt(N)), near square) and ceil(N / cols)
/// rows; `padding` pixels of `pad_value` separate the cells and frame the grid, so it is
///   (rows * (H + padding) + padding) x (cols * (W + padding) + padding) pixels,
/// and cell k sits at row k / cols, column k % cols; cells past N stay pad_value. The
/// default pad_value 0 is make_grid's.
///
/// The file is written atomically (temporary file + rename, see atomic_file.hpp); a
/// failure throws gan::Error naming the path, and a bad shape names the shape.
///
/// stb_image_write is compiled into this header with static linkage
/// (STB_IMAGE_WRITE_STATIC), so every translation unit gets a private copy and no
/// symbol clashes at link time (docs/architecture.md, "Dependencies").

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/tensor.hpp"
#include "gan/io/atomic_file.hpp"

// A second inclusion (e.g. through another path to this file) must not compile stb twice.
#ifndef GAN_IO_STB_IMAGE_WRITE_COMPILED
#define GAN_IO_STB_IMAGE_WRITE_COMPILED
#ifdef INCLUDE_STB_IMAGE_WRITE_H
// Its declarations, already seen without STB_IMAGE_WRITE_STATIC, would clash with ours.
#error "gan/io/png.hpp compiles its own stb_image_write: include it before <stb/stb_image_write.h>"
#endif
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
// stb is not written for -Wall -Wextra -Wpedantic -Werror; its warnings are not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#endif

namespace gan {

namespace detail {

inline void png_sink(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  const auto* p = static_cast<const unsigned char*>(data);
  out->insert(out->end(), p, p + size);
}

template <class T>
unsigned char to_byte(T v) noexcept {
  if (!(v > T(0))) return 0;  // also NaN
  if (v >= T(1)) return 255;
  return static_cast<unsigned char>(std::floor(v * T(255) + T(0.5)));
}

/// images: n planar images of c x h x w, row-major, one after another.
template <class T>
void write_png_grid(const std::string& path, const T* images, index_t n, index_t c, index_t h,
                    index_t w, index_t cols, index_t padding, float pad_value) {
  if (cols == 0) {
    cols = static_cast<index_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    while (cols * cols < n) ++cols;  // guards sqrt rounding for large n
  }
  cols = std::min(cols, n);
  const index_t rows = (n + cols - 1) / cols;
  const index_t cell_h = h + padding, cell_w = w + padding;
  // stb takes int sizes; keep the whole image's bytes below INT_MAX as well.
  const double bytes = (static_cast<double>(rows) * cell_h + padding) *
                       (static_cast<double>(cols) * cell_w + padding) * static_cast<double>(c);
  if (bytes >= static_cast<double>(std::numeric_limits<int>::max()))
    throw Error("png: '" + path + "': a grid of " + std::to_string(rows) + " x " +
                std::to_string(cols) + " images of " + std::to_string(h) + " x " +
                std::to_string(w) + " is too large for one PNG");
  const index_t height = rows * cell_h + padding, width = cols * cell_w + padding;

  // Interleaved pixels (RGBRGB...), as PNG stores them.
  std::vector<unsigned char> pixels(static_cast<std::size_t>(height * width * c),
                                    to_byte(pad_value));
  for (index_t k = 0; k < n; ++k) {
    const index_t top = (k / cols) * cell_h + padding, left = (k % cols) * cell_w + padding;
    for (index_t ch = 0; ch < c; ++ch) {
      const T* plane = images + (k * c + ch) * h * w;
      for (index_t y = 0; y < h; ++y)
        for (index_t x = 0; x < w; ++x)
          pixels[static_cast<std::size_t>(((top + y) * width + left + x) * c + ch)] =
              to_byte(plane[y * w + x]);
    }
  }

  std::vector<unsigned char> encoded;
  const int ok =
      stbi_write_png_to_func(&png_sink, &encoded, static_cast<int>(width), static_cast<int>(height),
                             static_cast<int>(c), pixels.data(), static_cast<int>(width * c));
  if (!ok) throw Error("png: cannot write '" + path + "': encoding failed");
  AtomicFile file(path, "png");
  file.write(encoded.data(), encoded.size());
  file.commit();
}

}  // namespace detail

/// Writes images [N, C, H, W] (C = 1 or 3, values in [0, 1]) as one PNG grid.
template <class T>
void write_png_grid(const std::string& path, const Tensor<T>& images, index_t cols = 0,
                    index_t padding = 2, float pad_value = 0.0f) {
  const Shape& s = images.shape();
  if (s.rank() != 4 || (s[1] != 1 && s[1] != 3) || s[0] < 1 || s[2] < 1 || s[3] < 1)
    throw Error("write_png_grid('" + path + "'): expected images [N, 1 or 3, H, W], got " +
                s.str());
  if (cols < 0 || padding < 0)
    throw Error("write_png_grid('" + path + "'): cols and padding must be >= 0, got cols = " +
                std::to_string(cols) + ", padding = " + std::to_string(padding));
  detail::write_png_grid(path, images.data(), s[0], s[1], s[2], s[3], cols, padding, pad_value);
}

/// Writes one image [C, H, W] or [1, C, H, W] (C = 1 or 3, values in [0, 1]), unpadded.
template <class T>
void write_png(const std::string& path, const Tensor<T>& image) {
  const Shape& s = image.shape();
  const bool chw = s.rank() == 3, nchw = s.rank() == 4 && s[0] == 1;
  const int c_axis = nchw ? 1 : 0;
  if ((!chw && !nchw) || (s[c_axis] != 1 && s[c_axis] != 3) || s[c_axis + 1] < 1 ||
      s[c_axis + 2] < 1)
    throw Error("write_png('" + path +
                "'): expected an image [C, H, W] or [1, C, H, W] with C = 1 or 3, got " + s.str());
  detail::write_png_grid(path, image.data(), 1, s[c_axis], s[c_axis + 1], s[c_axis + 2], 1, 0,
                         0.0f);
}

}  // namespace gan

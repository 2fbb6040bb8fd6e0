#pragma once
/// The augmentations of DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for
/// Data-Efficient GAN Training", section 3 and its reference code DiffAugment_pytorch.py) on
/// [N, C, H, W] memory, with per-sample parameters drawn by the caller
/// (gan/layers/diff_augment.hpp). Each is linear in x, brightness affine, so its backward is the
/// transposed map and needs only the parameters, not x. Sample n uses parameter [n]; plane = H * W,
/// sample = C * H * W.
///
///   brightness_forward(n, sample, shift, x):   x += shift[n]                          (in place)
///     backward: the identity
///   saturation_forward(n, c, plane, f, x):      x = (x - m) f[n] + m, m the mean over channels
///                                               at each pixel                         (in place)
///   saturation_backward(n, c, plane, f, g):     g = f[n] g + (1 - f[n]) mean_channels(g)
///   contrast_forward(n, sample, f, x):          x = (x - m) f[n] + m, m the sample's mean
///   contrast_backward(n, sample, f, g):         g = f[n] g + (1 - f[n]) mean_sample(g)
///   translation_forward(n, c, h, w, dh, dw, x, y):   y[i, j] = x[i + dh[n], j + dw[n]], 0 where
///                                               that is outside the image (the reference's zero
///                                               pad and clamped gather)
///   translation_backward(n, c, h, w, dh, dw, dy, dx): dx[i, j] = dy[i - dh[n], j - dw[n]], or 0
///   cutout(n, c, h, w, top, left, size_h, size_w, x): zeroes rows [top[n], top[n] + size_h) and
///                                               columns [left[n], left[n] + size_w), clipped to
///                                               the image, in every channel; its own backward
/// Samples run in parallel, each sample's sums in a fixed order (simd::sum, or channels in
/// order), so the bits do not depend on the thread count.

#include <algorithm>
#include <cstring>

#include "gan/core/parallel.hpp"
#include "gan/core/simd.hpp"

namespace gan::kernels {

namespace detail {
/// x = x * a + b on n elements.
template <class T>
void scale_shift(index_t n, T a, T b, T* x) noexcept {
  simd::transform(n, x, x, [a, b](auto v) { return v * simd::splat(v, a) + simd::splat(v, b); });
}
}  // namespace detail

template <class T>
void brightness_forward(index_t n, index_t sample, const T* shift, T* x) noexcept {
  parallel_for(0, n,
               [&](index_t i) { detail::scale_shift(sample, T(1), shift[i], x + i * sample); });
}

template <class T>
void saturation_forward(index_t n, index_t c, index_t plane, const T* factor, T* x) noexcept {
  parallel_for(0, n, [&](index_t i) {
    T* s = x + i * c * plane;
    const T f = factor[i];
    for (index_t p = 0; p < plane; ++p) {
      T sum = 0;
      for (index_t k = 0; k < c; ++k) sum += s[k * plane + p];
      const T m = sum / static_cast<T>(c);
      for (index_t k = 0; k < c; ++k) s[k * plane + p] = (s[k * plane + p] - m) * f + m;
    }
  });
}

template <class T>
void saturation_backward(index_t n, index_t c, index_t plane, const T* factor, T* g) noexcept {
  parallel_for(0, n, [&](index_t i) {
    T* s = g + i * c * plane;
    const T f = factor[i];
    for (index_t p = 0; p < plane; ++p) {
      T sum = 0;
      for (index_t k = 0; k < c; ++k) sum += s[k * plane + p];
      const T m = (T(1) - f) * (sum / static_cast<T>(c));
      for (index_t k = 0; k < c; ++k) s[k * plane + p] = f * s[k * plane + p] + m;
    }
  });
}

template <class T>
void contrast_forward(index_t n, index_t sample, const T* factor, T* x) noexcept {
  parallel_for(0, n, [&](index_t i) {
    T* s = x + i * sample;
    const T m = simd::sum(sample, s) / static_cast<T>(sample);
    // (x - m) f + m = x f + (1 - f) m
    detail::scale_shift(sample, factor[i], (T(1) - factor[i]) * m, s);
  });
}

template <class T>
void contrast_backward(index_t n, index_t sample, const T* factor, T* g) noexcept {
  parallel_for(0, n, [&](index_t i) {
    T* s = g + i * sample;
    const T m = simd::sum(sample, s) / static_cast<T>(sample);
    detail::scale_shift(sample, factor[i], (T(1) - factor[i]) * m, s);
  });
}

namespace detail {
/// out[i, j] = in[i + dh, j + dw] inside the h x w plane, else 0.
template <class T>
void shift_plane(index_t h, index_t w, index_t dh, index_t dw, const T* in, T* out) noexcept {
  const index_t j0 = std::clamp<index_t>(-dw, 0, w), j1 = std::clamp<index_t>(w - dw, 0, w);
  for (index_t i = 0; i < h; ++i) {
    T* row = out + i * w;
    const index_t src = i + dh;
    if (src < 0 || src >= h || j0 >= j1) {
      std::fill(row, row + w, T(0));
      continue;
    }
    std::fill(row, row + j0, T(0));
    std::memcpy(row + j0, in + src * w + j0 + dw, static_cast<std::size_t>(j1 - j0) * sizeof(T));
    std::fill(row + j1, row + w, T(0));
  }
}
}  // namespace detail

template <class T>
void translation_forward(index_t n, index_t c, index_t h, index_t w, const index_t* dh,
                         const index_t* dw, const T* x, T* y) noexcept {
  parallel_for(0, n * c, [&](index_t r) {
    detail::shift_plane(h, w, dh[r / c], dw[r / c], x + r * h * w, y + r * h * w);
  });
}

/// The transpose of translation_forward: the shift the other way, with the same zero fill.
template <class T>
void translation_backward(index_t n, index_t c, index_t h, index_t w, const index_t* dh,
                          const index_t* dw, const T* dy, T* dx) noexcept {
  parallel_for(0, n * c, [&](index_t r) {
    detail::shift_plane(h, w, -dh[r / c], -dw[r / c], dy + r * h * w, dx + r * h * w);
  });
}

template <class T>
void cutout(index_t n, index_t c, index_t h, index_t w, const index_t* top, const index_t* left,
            index_t size_h, index_t size_w, T* x) noexcept {
  parallel_for(0, n * c, [&](index_t r) {
    const index_t i0 = std::clamp<index_t>(top[r / c], 0, h);
    const index_t i1 = std::clamp<index_t>(top[r / c] + size_h, 0, h);
    const index_t j0 = std::clamp<index_t>(left[r / c], 0, w);
    const index_t j1 = std::clamp<index_t>(left[r / c] + size_w, 0, w);
    for (index_t i = i0; i < i1; ++i)
      std::fill(x + (r * h + i) * w + j0, x + (r * h + i) * w + j1, T(0));
  });
}

}  // namespace gan::kernels

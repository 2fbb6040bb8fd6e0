#pragma once
/// Element-wise maps of the activation layers, forward and backward, on raw arrays of n
/// elements, plus the row-wise bias add and column sums of a dense layer.
///
///   leaky_relu: y = x > 0 ? x : slope * x       dx = dy * (s > 0 ? 1 : slope)
///   relu:       y = max(x, 0)                   dx = dy * (s > 0)
/// where s is x, or y: for slope >= 0, y > 0 exactly when x > 0 (NaN and -0 included), so
/// both give the same bits.
///   sigmoid:    y = 1 / (1 + e^-x)              dx = dy * y * (1 - y)   (from y)
///   tanh:       y = tanh(x)                     dx = dy * (1 - y^2)     (from y)
/// Sigmoid is evaluated as 1 / (1 + e^-|x|), mirrored for x < 0, so e^-|x| <= 1 never
/// overflows and no lane produces inf / inf.
///
/// Large arrays are split over threads in blocks of `block` elements (a multiple of every
/// SIMD width), so the same elements take the vector or the scalar path whatever the
/// thread count: results are bit-identical at any number of threads. Every output may be
/// its input (y == x, dx == dy): each element is read before it is written.

#include <algorithm>

#include "gan/core/parallel.hpp"
#include "gan/core/simd.hpp"

namespace gan::kernels {

namespace detail {
inline constexpr index_t block = 4096;

/// out[i] = f(a[i], b[i]) (b may be null for a unary f), in parallel blocks.
template <class T, class F>
void blocked(index_t n, const T* a, const T* b, T* out, F&& f) noexcept {
  const index_t blocks = (n + block - 1) / block;
  parallel_for(0, blocks, [&](index_t i) {
    const index_t lo = i * block, len = std::min(block, n - lo);
    if (b)
      simd::transform(len, a + lo, b + lo, out + lo, f);
    else
      simd::transform(len, a + lo, out + lo, [&f](auto v) { return f(v, v); });
  });
}
}  // namespace detail

template <class T>
void leaky_relu_forward(index_t n, T slope, const T* x, T* y) noexcept {
  detail::blocked<T>(n, x, nullptr, y, [slope](auto v, auto) {
    return simd::where_positive(v, v, v * simd::splat(v, slope));
  });
}

template <class T>
void leaky_relu_backward(index_t n, T slope, const T* s, const T* dy, T* dx) noexcept {
  detail::blocked<T>(n, s, dy, dx, [slope](auto v, auto g) {
    return simd::where_positive(v, g, g * simd::splat(v, slope));
  });
}

template <class T>
void relu_forward(index_t n, const T* x, T* y) noexcept {
  detail::blocked<T>(n, x, nullptr, y,
                     [](auto v, auto) { return simd::where_positive(v, v, simd::splat(v, T(0))); });
}

template <class T>
void relu_backward(index_t n, const T* s, const T* dy, T* dx) noexcept {
  detail::blocked<T>(n, s, dy, dx, [](auto v, auto g) {
    return simd::where_positive(v, g, simd::splat(v, T(0)));
  });
}

template <class T>
void sigmoid_forward(index_t n, const T* x, T* y) noexcept {
  detail::blocked<T>(n, x, nullptr, y, [](auto v, auto) {
    const auto e = simd::exp(-simd::abs(v));  // in (0, 1]
    const auto pos = simd::splat(v, T(1)) / (simd::splat(v, T(1)) + e);
    return simd::where_positive(v, pos, e * pos);  // x < 0: e^x / (1 + e^x)
  });
}

template <class T>
void sigmoid_backward(index_t n, const T* y, const T* dy, T* dx) noexcept {
  detail::blocked<T>(n, y, dy, dx,
                     [](auto s, auto g) { return g * s * (simd::splat(s, T(1)) - s); });
}

template <class T>
void tanh_forward(index_t n, const T* x, T* y) noexcept {
  detail::blocked<T>(n, x, nullptr, y, [](auto v, auto) { return simd::tanh(v); });
}

template <class T>
void tanh_backward(index_t n, const T* y, const T* dy, T* dx) noexcept {
  detail::blocked<T>(n, y, dy, dx,
                     [](auto t, auto g) { return g * (simd::splat(t, T(1)) - t * t); });
}

/// y[r, :] += bias for each of the rows of y: [rows, cols].
template <class T>
void add_row_bias(index_t rows, index_t cols, const T* bias, T* y) noexcept {
  for (index_t r = 0; r < rows; ++r)
    simd::transform(cols, y + r * cols, bias, y + r * cols, [](auto a, auto b) { return a + b; });
}

/// sums[c] += sum over r of x[r, c], rows summed in order (deterministic).
template <class T>
void add_column_sums(index_t rows, index_t cols, const T* x, T* sums) noexcept {
  for (index_t r = 0; r < rows; ++r)
    simd::transform(cols, sums, x + r * cols, sums, [](auto a, auto b) { return a + b; });
}

}  // namespace gan::kernels

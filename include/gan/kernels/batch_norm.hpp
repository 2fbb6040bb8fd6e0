#pragma once
/// Batch normalisation over [N, C, plane] memory (Ioffe & Szegedy 2015), per channel c
/// over the M = N * plane values x[n, c, :]:
///
///   batch_norm_stats:    mean[c], var[c] (biased: divided by M)
///   batch_norm_apply:    y = x * scale[c] + shift[c]   (scale = gamma / sqrt(var + eps),
///                                                     shift = beta - mean * scale)
///   batch_norm_backward: with xhat = (x - mean[c]) * invstd[c],
///     dgamma[c] += sum dy * xhat, dbeta[c] += sum dy                      (added)
///     batch statistics (training): dx = gamma invstd / M * (M dy - sum dy - xhat sum(dy xhat))
///     fixed statistics (eval):     dx = gamma invstd dy                   (overwritten)
/// Channels are independent and run in parallel; each channel's sums run over n in order
/// and over the plane with simd::sum, so results do not depend on the thread count.
/// dx may be dy (in place): a channel's dy is summed whole before its dx is written.

#include <cmath>

#include "gan/core/parallel.hpp"
#include "gan/core/simd.hpp"

namespace gan::kernels {

template <class T>
void batch_norm_stats(index_t n, index_t channels, index_t plane, const T* x, T* mean,
                      T* var) noexcept {
  const T m = static_cast<T>(n * plane);
  parallel_for(0, channels, [&](index_t c) {
    T sum = 0;
    for (index_t i = 0; i < n; ++i) sum += simd::sum(plane, x + (i * channels + c) * plane);
    const T mu = sum / m;
    T sq = 0;
    for (index_t i = 0; i < n; ++i) {
      const T* row = x + (i * channels + c) * plane;
      T part = 0;
      for (index_t p = 0; p < plane; ++p) part += (row[p] - mu) * (row[p] - mu);
      sq += part;
    }
    mean[c] = mu;
    var[c] = sq / m;
  });
}

template <class T>
void batch_norm_apply(index_t n, index_t channels, index_t plane, const T* x, const T* scale,
                      const T* shift, T* y) noexcept {
  parallel_for(0, n * channels, [&](index_t row) {
    const index_t c = row % channels;
    const T a = scale[c], b = shift[c];
    simd::transform(plane, x + row * plane, y + row * plane,
                    [a, b](auto v) { return v * simd::splat(v, a) + simd::splat(v, b); });
  });
}

template <class T>
void batch_norm_backward(index_t n, index_t channels, index_t plane, const T* x, const T* dy,
                         const T* mean, const T* invstd, const T* gamma, bool batch_stats, T* dx,
                         T* dgamma, T* dbeta) noexcept {
  const T m = static_cast<T>(n * plane);
  parallel_for(0, channels, [&](index_t c) {
    const T mu = mean[c], is = invstd[c];
    T sum_dy = 0, sum_dy_xhat = 0;
    for (index_t i = 0; i < n; ++i) {
      const T* xr = x + (i * channels + c) * plane;
      const T* gr = dy + (i * channels + c) * plane;
      T a = 0, b = 0;
      for (index_t p = 0; p < plane; ++p) {
        a += gr[p];
        b += gr[p] * (xr[p] - mu) * is;
      }
      sum_dy += a;
      sum_dy_xhat += b;
    }
    if (dgamma) dgamma[c] += sum_dy_xhat;
    if (dbeta) dbeta[c] += sum_dy;
    const T k = gamma[c] * is;
    for (index_t i = 0; i < n; ++i) {
      const index_t off = (i * channels + c) * plane;
      for (index_t p = 0; p < plane; ++p) {
        if (batch_stats) {
          const T xhat = (x[off + p] - mu) * is;
          dx[off + p] = k / m * (m * dy[off + p] - sum_dy - xhat * sum_dy_xhat);
        } else {
          dx[off + p] = k * dy[off + p];
        }
      }
    }
  });
}

}  // namespace gan::kernels

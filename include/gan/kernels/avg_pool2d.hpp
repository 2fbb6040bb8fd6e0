#pragma once
/// Average pooling over k x k windows with stride s and no padding, on planes of H x W
/// (torch.nn.AvgPool2d(k, s) with padding 0 and ceil_mode false):
///
///   x: [planes, H, W] -> y: [planes, H_out, W_out],  H_out = (H - k) / s + 1 (floor),
///   y[p, i, j] = 1/k^2 sum_{a, b < k} x[p, i s + a, j s + b]
///   backward: dx[p, h, w] = 1/k^2 sum over the windows (i, j) that hold (h, w) of dy[p, i, j]
/// Rows and columns past the last whole window take no part (dx = 0 there). Planes are
/// independent, so they are split across threads and each output has one fixed sum order.

#include "gan/core/parallel.hpp"
#include "gan/core/shape.hpp"

namespace gan::kernels {

template <class T>
void avg_pool2d_forward(index_t planes, index_t H, index_t W, index_t k, index_t s, const T* x,
                        T* y) noexcept {
  const index_t H_out = (H - k) / s + 1, W_out = (W - k) / s + 1;
  const T scale = T(1) / static_cast<T>(k * k);
  parallel_for(0, planes, [&](index_t p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * H_out * W_out;
    for (index_t i = 0; i < H_out; ++i)
      for (index_t j = 0; j < W_out; ++j) {
        T sum = 0;
        for (index_t a = 0; a < k; ++a)
          for (index_t b = 0; b < k; ++b) sum += xp[(i * s + a) * W + j * s + b];
        yp[i * W_out + j] = sum * scale;
      }
  });
}

template <class T>
void avg_pool2d_backward(index_t planes, index_t H, index_t W, index_t k, index_t s, const T* dy,
                         T* dx) noexcept {
  const index_t H_out = (H - k) / s + 1, W_out = (W - k) / s + 1;
  const T scale = T(1) / static_cast<T>(k * k);
  parallel_for(0, planes, [&](index_t p) {
    T* dxp = dx + p * H * W;
    const T* dyp = dy + p * H_out * W_out;
    for (index_t i = 0; i < H * W; ++i) dxp[i] = T(0);
    for (index_t i = 0; i < H_out; ++i)
      for (index_t j = 0; j < W_out; ++j) {
        const T g = dyp[i * W_out + j] * scale;
        for (index_t a = 0; a < k; ++a)
          for (index_t b = 0; b < k; ++b) dxp[(i * s + a) * W + j * s + b] += g;
      }
  });
}

}  // namespace gan::kernels

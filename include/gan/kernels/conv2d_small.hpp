#pragma once
/// Convolution products for a short reduction over the lowered rows, C_in*K*K <= small_rows
/// (DCGAN-28's Conv2d 1->64 and ConvTranspose2d 64->1: 16 rows), as register-blocked xsimd
/// loops instead of the GEMM. With 16 rows a GEMM tile does 16 multiply-adds per element of
/// C it stores, and its output, in [C_out, sample, pixel] order, must then be copied into
/// [sample, C_out, pixel]; these loops write each output plane in place.
///
///   col: [C_in*K*K, nb*plane] (im2col of nb samples), plane = H_out*W_out, ckk = C_in*K*K
///   small_forward:  y[n, co, p]   = bias[co] + sum_r w[co, r] * col[r, n*plane + p]
///                   (y: [nb, C_out, plane], overwritten; bias may be nullptr)
///   small_weights:  dw[co, r]    += sum_n sum_p dy[n, co, p] * col[r, n*plane + p]
///                   (dy: [nb, C_out, plane], dw: [C_out, ckk])
///
/// Each output element is one chain of multiply-adds in a fixed order (vector lanes, then
/// the lanes summed in order, then the scalar tail), computed by one task, so results do
/// not depend on the thread count. Work is split with parallel_for over disjoint outputs;
/// nothing is allocated; noexcept. Scalar tails use the same simd::fma as the vector body.

#include <algorithm>

#include "gan/core/parallel.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/simd.hpp"
#include "gan/kernels/gemm_packed.hpp"

namespace gan::kernels {

namespace conv_detail {

/// Lowered rows up to which the loops below replace the GEMM.
inline constexpr index_t small_rows = 32;

/// CB output channels x PV pixel vectors of y for sample n at pixel p, from col row ld apart.
template <index_t CB, index_t PV, class T>
inline void small_forward_block(index_t ckk, index_t ld, const T* col, const T* w, const T* bias,
                                T* y, index_t plane) noexcept {
  using gemm_detail::unroll;
  constexpr index_t W = simd::width<T>;
  simd::batch<T> acc[CB][PV];
  unroll<CB>([&](auto c) {
    unroll<PV>([&](auto v) { acc[c][v] = simd::broadcast(bias ? bias[c] : T(0)); });
  });
  for (index_t r = 0; r < ckk; ++r) {
    simd::batch<T> cv[PV];
    unroll<PV>([&](auto v) { cv[v] = simd::load(col + r * ld + v * W); });
    unroll<CB>([&](auto c) {
      const auto wv = simd::broadcast(w[c * ckk + r]);
      unroll<PV>([&](auto v) { acc[c][v] = simd::fma(wv, cv[v], acc[c][v]); });
    });
  }
  unroll<CB>(
      [&](auto c) { unroll<PV>([&](auto v) { simd::store(y + c * plane + v * W, acc[c][v]); }); });
}

/// Channels [co, co + CB) of one sample's output plane.
template <index_t CB, class T>
inline void small_forward_channels(index_t ckk, index_t ld, index_t plane, const T* col, const T* w,
                                   const T* bias, T* y) noexcept {
  constexpr index_t W = simd::width<T>;
  index_t p = 0;
  for (; p + 2 * W <= plane; p += 2 * W)
    small_forward_block<CB, 2>(ckk, ld, col + p, w, bias, y + p, plane);
  for (; p + W <= plane; p += W)
    small_forward_block<CB, 1>(ckk, ld, col + p, w, bias, y + p, plane);
  for (; p < plane; ++p) {
    for (index_t c = 0; c < CB; ++c) {
      T acc = bias ? bias[c] : T(0);
      for (index_t r = 0; r < ckk; ++r) acc = simd::fma(w[c * ckk + r], col[r * ld + p], acc);
      y[c * plane + p] = acc;
    }
  }
}

/// RB lowered rows x CB channels of dw from every sample: PV-wide partial sums per lane.
template <index_t CB, index_t RB, class T>
inline void small_weights_block(index_t nb, index_t channels, index_t plane, index_t ld,
                                const T* dy, const T* col, T* dw, index_t ckk) noexcept {
  using gemm_detail::unroll;
  constexpr index_t W = simd::width<T>;
  simd::batch<T> acc[CB][RB];
  T tail[CB][RB] = {};
  unroll<CB>([&](auto c) { unroll<RB>([&](auto r) { acc[c][r] = simd::broadcast(T(0)); }); });
  for (index_t n = 0; n < nb; ++n) {
    const T* d = dy + n * channels * plane;
    const T* x = col + n * plane;
    index_t p = 0;
    for (; p + W <= plane; p += W) {
      simd::batch<T> dv[CB];
      unroll<CB>([&](auto c) { dv[c] = simd::load(d + c * plane + p); });
      unroll<RB>([&](auto r) {
        const auto xv = simd::load(x + r * ld + p);
        unroll<CB>([&](auto c) { acc[c][r] = simd::fma(dv[c], xv, acc[c][r]); });
      });
    }
    for (; p < plane; ++p)
      for (index_t c = 0; c < CB; ++c)
        for (index_t r = 0; r < RB; ++r)
          tail[c][r] = simd::fma(d[c * plane + p], x[r * ld + p], tail[c][r]);
  }
  for (index_t c = 0; c < CB; ++c) {
    for (index_t r = 0; r < RB; ++r) {
      alignas(64) T lanes[W];
      simd::store(lanes, acc[c][r]);
      T s(0);
      for (index_t l = 0; l < W; ++l) s += lanes[l];
      dw[c * ckk + r] += s + tail[c][r];
    }
  }
}

}  // namespace conv_detail

/// y = w * col (+ bias), written as [nb, C_out, plane]: see the file comment.
template <class T>
void conv2d_small_forward(index_t nb, index_t c_out, index_t ckk, index_t plane, const T* col,
                          const T* w, const T* bias, T* y) noexcept {
  constexpr index_t cb = 8;
  const index_t blocks = (c_out + cb - 1) / cb, ld = nb * plane;
  parallel_for(0, nb * blocks, [&](index_t task) {
    const index_t n = task / blocks, c0 = (task % blocks) * cb;
    const T* b = bias ? bias + c0 : nullptr;
    T* out = y + (n * c_out + c0) * plane;
    const T* x = col + n * plane;
    if (c0 + cb <= c_out) {
      conv_detail::small_forward_channels<cb>(ckk, ld, plane, x, w + c0 * ckk, b, out);
    } else {
      for (index_t c = c0; c < c_out; ++c)
        conv_detail::small_forward_channels<1>(ckk, ld, plane, x, w + c * ckk,
                                               bias ? bias + c : nullptr, out + (c - c0) * plane);
    }
  });
}

/// dw += dy * col^T over nb samples: see the file comment.
template <class T>
void conv2d_small_weights(index_t nb, index_t c_out, index_t ckk, index_t plane, const T* dy,
                          const T* col, T* dw) noexcept {
  constexpr index_t cb = 2, rb = 8;
  const index_t ld = nb * plane;
  const index_t cblocks = (c_out + cb - 1) / cb, rblocks = (ckk + rb - 1) / rb;
  parallel_for(0, cblocks * rblocks, [&](index_t task) {
    const index_t c0 = (task / rblocks) * cb, r0 = (task % rblocks) * rb;
    const T* d = dy + c0 * plane;
    const T* x = col + r0 * ld;
    T* out = dw + c0 * ckk + r0;
    if (c0 + cb <= c_out && r0 + rb <= ckk) {
      conv_detail::small_weights_block<cb, rb>(nb, c_out, plane, ld, d, x, out, ckk);
      return;
    }
    for (index_t c = 0; c < std::min(cb, c_out - c0); ++c)
      for (index_t r = 0; r < std::min(rb, ckk - r0); ++r)
        conv_detail::small_weights_block<1, 1>(nb, c_out, plane, ld, d + c * plane, x + r * ld,
                                               out + c * ckk + r, ckk);
  });
}

}  // namespace gan::kernels

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
///   small_backward_data: col[r, n*plane + p] = sum_co w[co, r] * dy[n, co, p] (then col2im)
///   small_weights:  dw[co, r]    += sum_n sum_p dy[n, co, p] * col[r, n*plane + p]
///                   dbias[co]    += sum_n sum_p dy[n, co, p]   (when dbias is not nullptr)
///                   (dy: [nb, C_out, plane], dw: [C_out, ckk])
///
/// Each output element is computed by one task in a fixed order (for the weight reduction:
/// per-lane partial sums, the plane's last partial vector masked, then the lanes summed in
/// order), so results do not depend on the thread count. Work is split with parallel_for
/// over disjoint outputs; nothing is allocated; noexcept. Planes shorter than one vector
/// run scalar loops with the same simd::fma as the vector body.

#include <algorithm>
#include <type_traits>

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
  if (p < plane && plane >= W) {
    // The last vector ends at the plane's end; lanes it shares with the previous one are
    // recomputed with the same arithmetic, so they keep their bits.
    small_forward_block<CB, 1>(ckk, ld, col + plane - W, w, bias, y + plane - W, plane);
    return;
  }
  for (; p < plane; ++p) {
    for (index_t c = 0; c < CB; ++c) {
      T acc = bias ? bias[c] : T(0);
      for (index_t r = 0; r < ckk; ++r) acc = simd::fma(w[c * ckk + r], col[r * ld + p], acc);
      y[c * plane + p] = acc;
    }
  }
}

/// RB rows x PV pixel vectors of col for one sample at pixel p: the backward-data product.
template <index_t RB, index_t PV, class T>
inline void small_data_block(index_t c_out, index_t ckk, index_t plane, index_t ld, const T* dy,
                             const T* w, T* col) noexcept {
  using gemm_detail::unroll;
  constexpr index_t W = simd::width<T>;
  simd::batch<T> acc[RB][PV];
  unroll<RB>([&](auto r) { unroll<PV>([&](auto v) { acc[r][v] = simd::broadcast(T(0)); }); });
  for (index_t co = 0; co < c_out; ++co) {
    simd::batch<T> dv[PV];
    unroll<PV>([&](auto v) { dv[v] = simd::load(dy + co * plane + v * W); });
    unroll<RB>([&](auto r) {
      const auto wv = simd::broadcast(w[co * ckk + r]);
      unroll<PV>([&](auto v) { acc[r][v] = simd::fma(wv, dv[v], acc[r][v]); });
    });
  }
  unroll<RB>(
      [&](auto r) { unroll<PV>([&](auto v) { simd::store(col + r * ld + v * W, acc[r][v]); }); });
}

/// Rows [r0, r0 + RB) of one sample's columns of col.
template <index_t RB, class T>
inline void small_data_rows(index_t c_out, index_t ckk, index_t plane, index_t ld, const T* dy,
                            const T* w, T* col) noexcept {
  constexpr index_t W = simd::width<T>;
  index_t p = 0;
  for (; p + 2 * W <= plane; p += 2 * W)
    small_data_block<RB, 2>(c_out, ckk, plane, ld, dy + p, w, col + p);
  for (; p + W <= plane; p += W) small_data_block<RB, 1>(c_out, ckk, plane, ld, dy + p, w, col + p);
  if (p < plane && plane >= W) {  // last vector ends at the plane's end (same values again)
    small_data_block<RB, 1>(c_out, ckk, plane, ld, dy + plane - W, w, col + plane - W);
    return;
  }
  for (; p < plane; ++p) {
    for (index_t r = 0; r < RB; ++r) {
      T acc(0);
      for (index_t co = 0; co < c_out; ++co)
        acc = simd::fma(w[co * ckk + r], dy[co * plane + p], acc);
      col[r * ld + p] = acc;
    }
  }
}

/// Sum of the lanes of v in lane order (a fixed order, whatever the architecture's hadd).
template <class T>
inline T lane_sum(const simd::batch<T>& v) noexcept {
  alignas(64) T lanes[simd::width<T>];
  simd::store(lanes, v);
  T s(0);
  for (index_t l = 0; l < simd::width<T>; ++l) s += lanes[l];
  return s;
}

/// Adds one sample's terms into the lane partial sums of a CB x RB tile of dw (and, with
/// bias, of the CB channels' bias gradients): acc[c][r] += dy[c, p] * col[r, p] over the
/// full vectors of the plane, tail[c][r] likewise over the scalar tail. acc holds W lanes
/// per element and tail one value, both rows of (ckk + 1) elements, the last the bias.
template <index_t CB, index_t RB, class T>
inline void small_weights_tile(index_t plane, index_t ld, index_t ckk, const T* dy, const T* col,
                               bool bias, T* acc_mem, T* tail) noexcept {
  using gemm_detail::unroll;
  constexpr index_t W = simd::width<T>;
  const index_t row = (ckk + 1) * W;
  simd::batch<T> acc[CB][RB], acc_b[CB];
  unroll<CB>([&](auto c) {
    unroll<RB>([&](auto r) { acc[c][r] = simd::load(acc_mem + c * row + r * W); });
    acc_b[c] = bias ? simd::load(acc_mem + c * row + ckk * W) : simd::broadcast(T(0));
  });
  // One step over W pixels from p; with a mask, lanes where keep <= 0 add nothing
  // (selected away, so an Inf or NaN there cannot leak in).
  const auto step = [&](index_t p, auto masked, const simd::batch<T>& keep) {
    const auto zero = simd::broadcast(T(0));
    const auto pick = [&](const simd::batch<T>& v) {
      if constexpr (decltype(masked)::value) return simd::where_positive(keep, v, zero);
      return v;
    };
    simd::batch<T> dv[CB];
    unroll<CB>([&](auto c) { dv[c] = pick(simd::load(dy + c * plane + p)); });
    if (bias) unroll<CB>([&](auto c) { acc_b[c] += dv[c]; });
    unroll<RB>([&](auto r) {
      const auto xv = pick(simd::load(col + r * ld + p));
      unroll<CB>([&](auto c) { acc[c][r] = simd::fma(dv[c], xv, acc[c][r]); });
    });
  };
  const auto all = simd::broadcast(T(1));
  index_t p = 0;
  for (; p + W <= plane; p += W) step(p, std::false_type{}, all);
  if (p < plane && plane >= W) {
    // The tail as the plane's last W pixels, with the lanes already counted masked off.
    alignas(64) T keep[W];
    for (index_t l = 0; l < W; ++l) keep[l] = l >= W - (plane - p) ? T(1) : T(-1);
    step(plane - W, std::true_type{}, simd::load(keep));
    p = plane;
  }
  unroll<CB>([&](auto c) {
    unroll<RB>([&](auto r) { simd::store(acc_mem + c * row + r * W, acc[c][r]); });
    if (bias) simd::store(acc_mem + c * row + ckk * W, acc_b[c]);
  });
  for (; p < plane; ++p) {
    for (index_t c = 0; c < CB; ++c) {
      T* t = tail + c * (ckk + 1);
      const T d = dy[c * plane + p];
      for (index_t r = 0; r < RB; ++r) t[r] = simd::fma(d, col[r * ld + p], t[r]);
      if (bias) t[ckk] += d;
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

/// col = w^T * dy for nb samples (col: [ckk, nb*plane], dy: [nb, C_out, plane], read in
/// place): the backward-data product before col2im, one task per sample.
template <class T>
void conv2d_small_backward_data(index_t nb, index_t c_out, index_t ckk, index_t plane, const T* dy,
                                const T* w, T* col) noexcept {
  constexpr index_t rb = 8;
  const index_t ld = nb * plane;
  parallel_for(0, nb, [&](index_t n) {
    const T* d = dy + n * c_out * plane;
    T* out = col + n * plane;
    index_t r = 0;
    for (; r + rb <= ckk; r += rb)
      conv_detail::small_data_rows<rb>(c_out, ckk, plane, ld, d, w + r, out + r * ld);
    for (; r < ckk; ++r)
      conv_detail::small_data_rows<1>(c_out, ckk, plane, ld, d, w + r, out + r * ld);
  });
}

/// Elements of scratch conv2d_small_weights needs.
template <class T>
index_t small_weights_scratch(index_t c_out, index_t ckk) noexcept {
  return c_out * (ckk + 1) * (simd::width<T> + 1);
}

/// dw += dy * col^T over nb samples and, unless dbias is nullptr, dbias[co] += sum of
/// dy[:, co, :]: see the file comment. The reduction runs sample by sample over 4 x 4
/// register tiles whose lane partial sums live in `scratch` (small_weights_scratch
/// elements): one sample's dy and col stay in L1 while every tile uses them, instead of
/// each tile streaming the whole batch. Threads take disjoint channel blocks; every
/// element is summed in the same order at any thread count.
template <class T>
void conv2d_small_weights(index_t nb, index_t c_out, index_t ckk, index_t plane, const T* dy,
                          const T* col, T* dw, T* dbias, T* scratch) noexcept {
  constexpr index_t cb = 4, rb = 4, W = simd::width<T>;
  const index_t ld = nb * plane, row = (ckk + 1) * W;
  T* const lanes = scratch;
  T* const tails = scratch + c_out * row;
  const index_t cblocks = (c_out + cb - 1) / cb;
  parallel_for_chunks(0, cblocks, [&](index_t lo, index_t hi) {
    const index_t c_lo = lo * cb, c_hi = std::min(c_out, hi * cb);
    std::fill(lanes + c_lo * row, lanes + c_hi * row, T(0));
    std::fill(tails + c_lo * (ckk + 1), tails + c_hi * (ckk + 1), T(0));
    for (index_t n = 0; n < nb; ++n) {
      const T* x = col + n * plane;
      for (index_t c0 = c_lo; c0 < c_hi; c0 += cb) {
        const T* d = dy + (n * c_out + c0) * plane;
        T* acc = lanes + c0 * row;
        T* tail = tails + c0 * (ckk + 1);
        const bool full_c = c0 + cb <= c_hi;
        for (index_t r0 = 0; r0 < ckk; r0 += rb) {
          const bool bias = dbias != nullptr && r0 == 0;
          if (full_c && r0 + rb <= ckk) {
            conv_detail::small_weights_tile<cb, rb>(plane, ld, ckk, d, x + r0 * ld, bias,
                                                    acc + r0 * W, tail + r0);
            continue;
          }
          for (index_t c = 0; c < std::min(cb, c_hi - c0); ++c)
            for (index_t r = r0; r < std::min(ckk, r0 + rb); ++r)
              conv_detail::small_weights_tile<1, 1>(plane, ld, ckk, d + c * plane, x + r * ld,
                                                    bias && r == r0, acc + c * row + r * W,
                                                    tail + c * (ckk + 1) + r);
        }
      }
    }
    for (index_t c = c_lo; c < c_hi; ++c) {
      for (index_t r = 0; r < ckk; ++r)
        dw[c * ckk + r] +=
            conv_detail::lane_sum(simd::load(lanes + c * row + r * W)) + tails[c * (ckk + 1) + r];
      if (dbias)
        dbias[c] += conv_detail::lane_sum(simd::load(lanes + c * row + ckk * W)) +
                    tails[c * (ckk + 1) + ckk];
    }
  });
}

}  // namespace gan::kernels

#pragma once
/// 2-D convolution (cross-correlation, as PyTorch's conv2d) lowered to GEMM with im2col.
///
///   x: [N, C_in, H, W], w: [C_out, C_in, K, K], bias: [C_out] or nullptr
///   -> y: [N, C_out, H_out, W_out],  H_out = (H + 2*pad - K) / stride + 1 (conv_geometry.hpp)
///
///   conv2d_forward:          y  = conv(x, w) + bias                      (overwrites y)
///   conv2d_backward_data:    dx = conv^T(dy, w)                          (overwrites dx)
///   conv2d_backward_weights: dw += dL/dw, dbias += dL/dbias (dbias may be nullptr)
///
/// As GEMMs over a batch chunk of nb samples (col = im2col(x): [C_in*K*K, nb*H_out*W_out]):
///   forward        Y[C_out, nb*HW_out]      = W[C_out, C_in*K*K] * col
///   backward-data  dcol[C_in*K*K, nb*HW_out] = W^T * dY[C_out, nb*HW_out], dx = col2im(dcol)
///   backward-wts   dW[C_out, C_in*K*K]     += dY * col^T
/// Y and dY are in [C_out, sample, pixel] order inside the GEMM and [sample, C_out, pixel]
/// in memory, so a chunk of more than one sample is staged through the workspace.
///
/// A transposed convolution is this convolution read backwards (DESIGN.md): with the
/// geometry of the convolution that maps its output back to its input, its forward is
/// conv2d_backward_data, its backward-data is conv2d_forward (bias nullptr) and its weight
/// gradient is conv2d_backward_weights with x and dy swapped.
///
/// Memory: every array belongs to the caller; `workspace` holds at least
/// g.workspace_size() elements and is scratch (its contents are not kept between
/// calls). Nothing is allocated and nothing throws; g.valid() is a precondition.
/// Threads: im2col, col2im, staging and bias loops use parallel_for over disjoint
/// outputs; each GEMM threads itself and is never called inside parallel_for.

#include <algorithm>
#include <cstring>

#include "gan/core/parallel.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/simd.hpp"
#include "gan/kernels/conv_geometry.hpp"
#include "gan/kernels/gemm.hpp"
#include "gan/kernels/im2col.hpp"

namespace gan::kernels {

namespace conv_detail {

/// Depth of one GEMM call: long reductions are cut into slices of at most this many terms.
inline constexpr index_t gemm_k_slice = 256;

/// gemm() with the K dimension cut into fixed slices of gemm_k_slice, each added into C
/// in order (C = beta*C + A_0 B_0, then C += A_s B_s). Eigen's GEMM picks its own K
/// blocking from the thread count (evaluateProductBlockingSizesHeuristic caps it at 320
/// when threaded, near L1/(panel bytes) when not), which changes the order in which long
/// sums are rounded; slices no deeper than either cap make the summation order depend on
/// K alone, so results are the same at any thread count (CONVENTIONS.md, rule 9).
template <class T>
void gemm_fixed_k(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, const T* a,
                  index_t lda, const T* b, index_t ldb, T beta, T* c, index_t ldc) noexcept {
  if (k <= gemm_k_slice) {
    gemm(trans_a, trans_b, m, n, k, T(1), a, lda, b, ldb, beta, c, ldc);
    return;
  }
  for (index_t k0 = 0; k0 < k; k0 += gemm_k_slice) {
    const index_t kb = std::min(gemm_k_slice, k - k0);
    // Slice k0 of op(A) is columns [k0, k0+kb) of A, or rows of A^T as stored; same for B.
    const T* a_slice = trans_a ? a + k0 * lda : a + k0;
    const T* b_slice = trans_b ? b + k0 : b + k0 * ldb;
    gemm(trans_a, trans_b, m, n, kb, T(1), a_slice, lda, b_slice, ldb, k0 == 0 ? beta : T(1), c,
         ldc);
  }
}

/// [nb, C, plane] -> [C, nb*plane]: a chunk of dy laid out as GEMM rows per channel.
template <class T>
void to_channel_major(index_t nb, index_t channels, index_t plane, const T* src, T* dst) noexcept {
  parallel_for(0, nb * channels, [&](index_t task) {
    const index_t n = task / channels, c = task % channels;
    std::memcpy(dst + (c * nb + n) * plane, src + task * plane,
                static_cast<std::size_t>(plane) * sizeof(T));
  });
}

/// [C, nb*plane] -> [nb, C, plane]: the inverse of to_channel_major.
template <class T>
void to_sample_major(index_t nb, index_t channels, index_t plane, const T* src, T* dst) noexcept {
  parallel_for(0, nb * channels, [&](index_t task) {
    const index_t n = task / channels, c = task % channels;
    std::memcpy(dst + task * plane, src + (c * nb + n) * plane,
                static_cast<std::size_t>(plane) * sizeof(T));
  });
}

}  // namespace conv_detail

/// y[n, c, :] += bias[c] for y: [n, channels, plane].
template <class T>
void add_channel_bias(index_t n, index_t channels, index_t plane, const T* bias, T* y) noexcept {
  parallel_for(0, n * channels, [&](index_t task) {
    const T b = bias[task % channels];
    T* p = y + task * plane;
    simd::transform(plane, p, p, [b](auto v) { return v + simd::splat(v, b); });
  });
}

/// dbias[c] += sum over n and pixels of dy[n, c, :], for dy: [n, channels, plane].
/// Each channel is summed sample by sample in a fixed order: deterministic.
template <class T>
void conv2d_backward_bias(index_t n, index_t channels, index_t plane, const T* dy,
                          T* dbias) noexcept {
  parallel_for(0, channels, [&](index_t c) {
    T acc(0);
    for (index_t i = 0; i < n; ++i) acc += simd::sum(plane, dy + (i * channels + c) * plane);
    dbias[c] += acc;
  });
}

/// y = conv(x, w) + bias; bias may be nullptr (no bias). Overwrites y.
template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, const T* bias, T* y,
                    T* workspace) noexcept {
  const index_t plane = g.out_plane(), ckk = g.col_rows();
  if (g.pointwise()) {
    // y_n[C_out, HW] = W[C_out, C_in] * x_n[C_in, HW]: x_n is its own column matrix.
    for (index_t n = 0; n < g.N; ++n)
      conv_detail::gemm_fixed_k(false, false, g.C_out, plane, g.C_in, w, g.C_in,
                                x + n * g.C_in * plane, plane, T(0), y + n * g.C_out * plane,
                                plane);
  } else {
    T* col = workspace;
    T* stage = workspace + ckk * g.batch_chunk * plane;
    for (index_t n0 = 0; n0 < g.N; n0 += g.batch_chunk) {
      const index_t nb = std::min(g.batch_chunk, g.N - n0);
      const index_t cols = nb * plane;
      T* out = y + n0 * g.C_out * plane;
      im2col(g, nb, x + n0 * g.C_in * g.in_plane(), col);
      // One sample: the GEMM writes [C_out, HW] straight into y.
      conv_detail::gemm_fixed_k(false, false, g.C_out, cols, ckk, w, ckk, col, cols, T(0),
                                nb == 1 ? out : stage, cols);
      if (nb > 1) conv_detail::to_sample_major(nb, g.C_out, plane, stage, out);
    }
  }
  if (bias) add_channel_bias(g.N, g.C_out, plane, bias, y);
}

/// dx = dL/dx for dy = dL/dy: the transposed convolution of dy with w. Overwrites dx.
template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx,
                          T* workspace) noexcept {
  const index_t plane = g.out_plane(), ckk = g.col_rows();
  if (g.pointwise()) {
    // dx_n[C_in, HW] = W^T[C_in, C_out] * dy_n[C_out, HW].
    for (index_t n = 0; n < g.N; ++n)
      conv_detail::gemm_fixed_k(true, false, g.C_in, plane, g.C_out, w, g.C_in,
                                dy + n * g.C_out * plane, plane, T(0), dx + n * g.C_in * plane,
                                plane);
    return;
  }
  T* col = workspace;
  T* stage = workspace + ckk * g.batch_chunk * plane;
  for (index_t n0 = 0; n0 < g.N; n0 += g.batch_chunk) {
    const index_t nb = std::min(g.batch_chunk, g.N - n0);
    const index_t cols = nb * plane;
    const T* grad = dy + n0 * g.C_out * plane;
    if (nb > 1) {
      conv_detail::to_channel_major(nb, g.C_out, plane, grad, stage);
      grad = stage;
    }
    conv_detail::gemm_fixed_k(true, false, ckk, cols, g.C_out, w, ckk, grad, cols, T(0), col, cols);
    T* out = dx + n0 * g.C_in * g.in_plane();
    parallel_for(0, nb * g.C_in, [&](index_t i) {
      std::fill(out + i * g.in_plane(), out + (i + 1) * g.in_plane(), T(0));
    });
    col2im(g, nb, col, out);
  }
}

/// dw += dL/dw and, unless dbias is nullptr, dbias += dL/dbias, for input x and dy = dL/dy.
template <class T>
void conv2d_backward_weights(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* dbias,
                             T* workspace) noexcept {
  const index_t plane = g.out_plane(), ckk = g.col_rows();
  if (g.pointwise()) {
    // dW[C_out, C_in] += dy_n[C_out, HW] * x_n^T[HW, C_in], samples added in order.
    for (index_t n = 0; n < g.N; ++n)
      conv_detail::gemm_fixed_k(false, true, g.C_out, g.C_in, plane, dy + n * g.C_out * plane,
                                plane, x + n * g.C_in * plane, plane, T(1), dw, g.C_in);
  } else {
    T* col = workspace;
    T* stage = workspace + ckk * g.batch_chunk * plane;
    for (index_t n0 = 0; n0 < g.N; n0 += g.batch_chunk) {
      const index_t nb = std::min(g.batch_chunk, g.N - n0);
      const index_t cols = nb * plane;
      const T* grad = dy + n0 * g.C_out * plane;
      if (nb > 1) {
        conv_detail::to_channel_major(nb, g.C_out, plane, grad, stage);
        grad = stage;
      }
      im2col(g, nb, x + n0 * g.C_in * g.in_plane(), col);
      conv_detail::gemm_fixed_k(false, true, g.C_out, ckk, cols, grad, cols, col, cols, T(1), dw,
                                ckk);
    }
  }
  if (dbias) conv2d_backward_bias(g.N, g.C_out, plane, dy, dbias);
}

}  // namespace gan::kernels

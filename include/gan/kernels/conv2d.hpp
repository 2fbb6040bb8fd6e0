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
///   backward-data  dcol[C_in*K*K, nb*HW_out] = W^T * dY[C_out, nb*HW_out], dx = col2im(dcol),
///                  in blocks of input channels, each GEMM'd and summed back by one thread
///                  while it is in that core's cache (conv_detail::backward_data_by_blocks)
///   backward-wts   dW[C_out, C_in*K*K]     += dY * col^T
/// The forward and weight GEMMs never materialise col: their packing functions gather it
/// from x (pack_im2col, pack_im2col_transposed in im2col.hpp), the implicit GEMM.
/// Y and dY are in [C_out, sample, pixel] order inside the GEMM and [sample, C_out, pixel]
/// in memory, so a chunk of more than one sample is staged through the workspace. When
/// C_in*K*K <= conv_detail::small_rows (e.g. one input channel), all three run the
/// register-blocked loops of conv2d_small.hpp on col instead.
///
/// A transposed convolution is this convolution read backwards (docs/architecture.md): with the
/// geometry of the convolution that maps its output back to its input, its forward is
/// conv2d_backward_data, its backward-data is conv2d_forward (bias nullptr) and its weight
/// gradient is conv2d_backward_weights with x and dy swapped.
///
/// Memory: every array belongs to the caller; `workspace` holds at least
/// g.workspace_size<T>() elements (at the thread count of the call) and is scratch (its contents
/// are not kept between calls). Nothing is allocated and nothing throws; g.valid() is a
/// precondition. Threads: im2col, col2im, staging and bias loops use parallel_for over disjoint
/// outputs; each GEMM (the packed one of gemm_packed.hpp, which splits only M or N, never
/// K) threads itself and is never called inside parallel_for, so every result has the same
/// bits at any thread count.

#include <algorithm>
#include <cstring>

#include "gan/core/parallel.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/simd.hpp"
#include "gan/kernels/conv2d_small.hpp"
#include "gan/kernels/conv_geometry.hpp"
#include "gan/kernels/gemm_packed.hpp"
#include "gan/kernels/im2col.hpp"

namespace gan::kernels {

namespace conv_detail {

/// [nb, C, plane] -> [C, nb*plane]: a chunk of dy laid out as GEMM rows per channel.
template <class T>
void to_channel_major(index_t nb, index_t channels, index_t plane, const T* src, T* dst) noexcept {
  parallel_for(0, nb * channels, [&](index_t task) {
    const index_t n = task / channels, c = task % channels;
    std::memcpy(dst + (c * nb + n) * plane, src + task * plane,
                static_cast<std::size_t>(plane) * sizeof(T));
  });
}

/// [C, nb*plane] -> [nb, C, plane]: the inverse of to_channel_major, adding bias[c] on
/// the way when bias is not nullptr (one pass over the output instead of two).
template <class T>
void to_sample_major(index_t nb, index_t channels, index_t plane, const T* src, const T* bias,
                     T* dst) noexcept {
  parallel_for(0, nb * channels, [&](index_t task) {
    const index_t n = task / channels, c = task % channels;
    const T* from = src + (c * nb + n) * plane;
    if (bias) {
      const T b = bias[c];
      simd::transform(plane, from, dst + task * plane,
                      [b](auto v) { return v + simd::splat(v, b); });
    } else {
      std::memcpy(dst + task * plane, from, static_cast<std::size_t>(plane) * sizeof(T));
    }
  });
}

/// The parts of a conv workspace (conv_geometry.hpp): GEMM packing space, columns, stage.
template <class T>
struct Workspace {
  T* gemm;
  T* col;
  T* stage;
  Workspace(const Conv2dGeometry& g, T* workspace) noexcept
      : gemm(workspace),
        col(workspace + g.gemm_space<T>()),
        stage(col + g.template col_space<T>()) {}
};

/// Backward-data of one batch chunk on the GEMM path (dy staged as [C_out, nb*plane]), in
/// column blocks of g.data_block_channels() input channels: per block, its rows of
/// dcol = W^T * dY (one thread's serial GEMM into that thread's block of ws.col), then
/// col2im of those channels while the block is still in that core's cache, so the whole
/// column matrix (3.6 MB for dcgan28's 64->128 layer) is never written to memory and read
/// back. dY is packed once for all blocks. Every element of dcol is summed over C_out in the
/// GEMM's one order, so the bits do not depend on the blocks or the threads.
template <class T>
void backward_data_by_blocks(const Conv2dGeometry& g, index_t nb, const T* grad, const T* w,
                             const Workspace<T>& ws, T* dx) noexcept {
  using gemm_detail::Blocking;
  const index_t plane = g.out_plane(), cols = nb * plane, kk = g.K * g.K, ckk = g.col_rows();
  const index_t channels = g.data_block_channels(), blocks = g.data_blocks();
  const index_t threads = g.data_block_threads(), block_rows = channels * kk;
  const index_t chunk_cols = g.batch_chunk * plane;
  const index_t packing = gemm_detail::per_thread_workspace<T>(block_rows, chunk_cols, g.C_out);
  // dY packed as gemm_serial walks it: panels of KC rows and NC columns, NR-column slivers.
  T* packed = ws.col + threads * block_rows * chunk_cols;
  const index_t slivers = (cols + Blocking<T>::nr - 1) / Blocking<T>::nr;
  parallel_for(0, slivers, [&](index_t s) {
    const index_t j = s * Blocking<T>::nr, jc = j / Blocking<T>::nc * Blocking<T>::nc;
    for (index_t pc = 0; pc < g.C_out; pc += Blocking<T>::kc) {
      const index_t kb = std::min(Blocking<T>::kc, g.C_out - pc);
      T* panel = packed + gemm_detail::packed_b_offset<T>(cols, g.C_out, pc, jc);
      gemm_detail::pack_b(false, kb, std::min(Blocking<T>::nr, cols - j), grad + pc * cols + j,
                          cols, panel + (j - jc) * kb);
    }
  });
  const Col2imTable<T> table(g, cols);
  const auto pack_w = [&](index_t i, index_t p, index_t mb, index_t kb, T* dst) {
    gemm_detail::pack_a(true, mb, kb, w + p * ckk + i, ckk, dst);
  };
  const auto dy_panel = [&](index_t p, index_t j, index_t, index_t, T*) {
    return static_cast<const T*>(packed + gemm_detail::packed_b_offset<T>(cols, g.C_out, p, j));
  };
  parallel_for_chunks(0, threads, [&](index_t lo, index_t hi) {
    for (index_t t = lo; t < hi; ++t) {
      T* col = ws.col + t * block_rows * chunk_cols;
      for (index_t b = blocks * t / threads; b < blocks * (t + 1) / threads; ++b) {
        const index_t c0 = b * channels, c1 = std::min(g.C_in, c0 + channels);
        gemm_detail::gemm_serial(c0 * kk, 0, (c1 - c0) * kk, cols, g.C_out, T(1), pack_w, dy_panel,
                                 T(0), col, cols, ws.gemm + t * packing);
        for (index_t c = c0; c < c1; ++c)
          for (index_t n = 0; n < nb; ++n)
            col2im_overwrite_plane(g, table, cols, col + (c - c0) * kk * cols + n * plane,
                                   dx + (n * g.C_in + c) * g.in_plane());
      }
    }
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
  const conv_detail::Workspace<T> ws(g, workspace);
  if (g.pointwise()) {
    // y_n[C_out, HW] = W[C_out, C_in] * x_n[C_in, HW]: x_n is its own column matrix.
    for (index_t n = 0; n < g.N; ++n)
      gemm(false, false, g.C_out, plane, g.C_in, T(1), w, g.C_in, x + n * g.C_in * plane, plane,
           T(0), y + n * g.C_out * plane, plane, ws.gemm);
    if (bias) add_channel_bias(g.N, g.C_out, plane, bias, y);
    return;
  }
  for (index_t n0 = 0; n0 < g.N; n0 += g.batch_chunk) {
    const index_t nb = std::min(g.batch_chunk, g.N - n0);
    const index_t cols = nb * plane;
    T* out = y + n0 * g.C_out * plane;
    if (ckk <= conv_detail::small_rows) {
      im2col(g, nb, x + n0 * g.C_in * g.in_plane(), ws.col);
      conv2d_small_forward(nb, g.C_out, ckk, plane, ws.col, w, bias, out);
      continue;
    }
    // Implicit GEMM: the B operand is packed straight from x. One sample: the GEMM writes
    // [C_out, HW] straight into y.
    const T* xs = x + n0 * g.C_in * g.in_plane();
    const auto pack_w = [&](index_t i, index_t p, index_t mb, index_t kb, T* dst) {
      gemm_detail::pack_a(false, mb, kb, w + i * ckk + p, ckk, dst);
    };
    const auto pack_x = [&](index_t p, index_t j, index_t kb, index_t ncols, T* dst) {
      pack_im2col(g, xs, nb * g.C_in * g.in_plane(), p, j, kb, ncols, dst);
    };
    gemm_packed_operands(g.C_out, cols, ckk, T(1), pack_w, pack_x, T(0), nb == 1 ? out : ws.stage,
                         cols, ws.gemm);
    if (nb > 1) {
      conv_detail::to_sample_major(nb, g.C_out, plane, ws.stage, bias, out);
    } else if (bias) {
      add_channel_bias(1, g.C_out, plane, bias, out);
    }
  }
}

/// dx = dL/dx for dy = dL/dy: the transposed convolution of dy with w. Overwrites dx.
template <class T>
void conv2d_backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx,
                          T* workspace) noexcept {
  const index_t plane = g.out_plane(), ckk = g.col_rows();
  const conv_detail::Workspace<T> ws(g, workspace);
  if (g.pointwise()) {
    // dx_n[C_in, HW] = W^T[C_in, C_out] * dy_n[C_out, HW].
    for (index_t n = 0; n < g.N; ++n)
      gemm(true, false, g.C_in, plane, g.C_out, T(1), w, g.C_in, dy + n * g.C_out * plane, plane,
           T(0), dx + n * g.C_in * plane, plane, ws.gemm);
    return;
  }
  for (index_t n0 = 0; n0 < g.N; n0 += g.batch_chunk) {
    const index_t nb = std::min(g.batch_chunk, g.N - n0);
    const T* grad = dy + n0 * g.C_out * plane;
    if (ckk <= conv_detail::small_rows) {
      conv2d_small_backward_data(nb, g.C_out, ckk, plane, grad, w, ws.col);
      col2im_overwrite(g, nb, ws.col, dx + n0 * g.C_in * g.in_plane());
      continue;
    }
    if (nb > 1) {
      conv_detail::to_channel_major(nb, g.C_out, plane, grad, ws.stage);
      grad = ws.stage;
    }
    conv_detail::backward_data_by_blocks(g, nb, grad, w, ws, dx + n0 * g.C_in * g.in_plane());
  }
}

/// dw += dL/dw and, unless dbias is nullptr, dbias += dL/dbias, for input x and dy = dL/dy.
template <class T>
void conv2d_backward_weights(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* dbias,
                             T* workspace) noexcept {
  const index_t plane = g.out_plane(), ckk = g.col_rows();
  const conv_detail::Workspace<T> ws(g, workspace);
  if (g.pointwise()) {
    // dW[C_out, C_in] += dy_n[C_out, HW] * x_n^T[HW, C_in], samples added in order.
    for (index_t n = 0; n < g.N; ++n)
      gemm(false, true, g.C_out, g.C_in, plane, T(1), dy + n * g.C_out * plane, plane,
           x + n * g.C_in * plane, plane, T(1), dw, g.C_in, ws.gemm);
  } else {
    for (index_t n0 = 0; n0 < g.N; n0 += g.batch_chunk) {
      const index_t nb = std::min(g.batch_chunk, g.N - n0);
      const index_t cols = nb * plane;
      const T* grad = dy + n0 * g.C_out * plane;
      if (ckk <= conv_detail::small_rows) {
        im2col(g, nb, x + n0 * g.C_in * g.in_plane(), ws.col);
        // The bias gradient comes with the same pass over dy when one chunk is the batch.
        conv2d_small_weights(nb, g.C_out, ckk, plane, grad, ws.col, dw,
                             nb == g.N ? dbias : static_cast<T*>(nullptr), ws.stage);
        if (nb == g.N) return;
        continue;
      }
      if (nb > 1) {
        conv_detail::to_channel_major(nb, g.C_out, plane, grad, ws.stage);
        grad = ws.stage;
      }
      // Implicit GEMM: col^T is packed straight from x.
      const T* xs = x + n0 * g.C_in * g.in_plane();
      const auto pack_dy = [&](index_t i, index_t p, index_t mb, index_t kb, T* dst) {
        gemm_detail::pack_a(false, mb, kb, grad + i * cols + p, cols, dst);
      };
      const auto pack_x = [&](index_t p, index_t j, index_t kb, index_t ncols, T* dst) {
        pack_im2col_transposed(g, xs, nb * g.C_in * g.in_plane(), p, j, kb, ncols, dst);
      };
      gemm_packed_operands(g.C_out, ckk, cols, T(1), pack_dy, pack_x, T(1), dw, ckk, ws.gemm);
    }
  }
  if (dbias) conv2d_backward_bias(g.N, g.C_out, plane, dy, dbias);
}

}  // namespace gan::kernels

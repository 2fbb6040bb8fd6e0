#pragma once
/// Conv2dGeometry: the sizes of one 2-D convolution, with the derived sizes computed once.
///
///   x: [N, C_in, H, W], w: [C_out, C_in, K, K] -> y: [N, C_out, H_out, W_out]
///   H_out = (H + 2*pad - K) / stride + 1,  W_out = (W + 2*pad - K) / stride + 1
///
/// Square kernels, one stride and one padding for both axes (as gan's layers use them).
/// The kernels of im2col.hpp and conv2d.hpp read only this struct and raw pointers; the
/// layer that owns the memory validates the sizes first (valid() is the kernels'
/// precondition). The same struct describes a transposed convolution read backwards:
/// its input is this geometry's y and its output this geometry's x (see conv2d.hpp).
///
/// Batch folding: the kernels lower batch_chunk samples at a time into one column matrix
/// [C_in*K*K, batch_chunk*H_out*W_out], so one large GEMM replaces batch_chunk small
/// ones. The chunk is chosen so that the workspace stays under col_budget elements;
/// it depends on the sizes only (never on the thread count), so results are reproducible.

#include <algorithm>

#include "gan/core/parallel.hpp"
#include "gan/core/shape.hpp"
#include "gan/kernels/conv2d_small.hpp"
#include "gan/kernels/gemm_packed.hpp"

namespace gan::kernels {

struct Conv2dGeometry {
  /// Elements of lowered columns plus staged outputs that one batch chunk may use:
  /// 1 Mi elements (4 MiB in float) lowers 18 samples of dcgan28's 64->128 layer into one
  /// GEMM of 882 columns, as fast in bench_conv as a whole batch of 64 (4 Mi elements, within
  /// 2 %), and keeps a dcgan28 training run's resident memory in the tens of megabytes.
  static constexpr index_t col_budget = index_t(1) << 20;

  index_t N = 0, C_in = 0, H = 0, W = 0, C_out = 0, K = 1, stride = 1, pad = 0;
  index_t H_out = 0, W_out = 0;
  /// Samples lowered into one GEMM (1 <= batch_chunk <= N when N > 0). Set by the
  /// constructor; a caller may lower it (tests do, to exercise the chunked path) and
  /// must then size the workspace with workspace_size() again.
  index_t batch_chunk = 1;

  Conv2dGeometry() noexcept = default;
  Conv2dGeometry(index_t n, index_t c_in, index_t h, index_t w, index_t c_out, index_t k,
                 index_t s = 1, index_t p = 0) noexcept
      : N(n), C_in(c_in), H(h), W(w), C_out(c_out), K(k), stride(s), pad(p) {
    if (valid_sizes()) {
      H_out = (H + 2 * pad - K) / stride + 1;
      W_out = (W + 2 * pad - K) / stride + 1;
      const index_t per_sample = (col_rows() + C_out) * out_plane();
      batch_chunk = std::clamp<index_t>(col_budget / std::max<index_t>(per_sample, 1), 1,
                                        std::max<index_t>(N, 1));
    }
  }

  /// The kernels' precondition: positive sizes and an image at least as large as the
  /// kernel once padded (N may be 0: an empty batch is a no-op).
  bool valid() const noexcept { return valid_sizes() && batch_chunk >= 1; }

  index_t in_plane() const noexcept { return H * W; }
  index_t out_plane() const noexcept { return H_out * W_out; }
  /// Rows of the lowered column matrix: one per (input channel, kernel row, kernel col).
  index_t col_rows() const noexcept { return C_in * K * K; }
  index_t x_size() const noexcept { return N * C_in * in_plane(); }
  index_t y_size() const noexcept { return N * C_out * out_plane(); }
  index_t w_size() const noexcept { return C_out * col_rows(); }

  /// A 1x1 convolution with stride 1 and no padding is a plain matrix product per
  /// sample, x_n: [C_in, H*W] is already its own column matrix, so im2col is skipped.
  bool pointwise() const noexcept { return K == 1 && stride == 1 && pad == 0; }

  /// Elements of one column block of backward-data on the GEMM path: a block's rows are lowered
  /// by one thread and summed back by col2im on that thread while they are in its cache. 64 Ki
  /// elements (256 KiB in float) fit the L2 of every machine we run on with room for the
  /// GEMM's packed operands: dcgan28's 64->128 layer runs in 16 blocks of 4 input channels (64
  /// rows) of 18 samples. In bench_conv (2-core Xeon) 128 Ki ran as fast, 256 Ki 2-4 % slower,
  /// the whole column matrix in one GEMM and one col2im (before blocks) 14 % slower.
  static constexpr index_t data_block_budget = index_t(1) << 16;

  /// Input channels per column block of backward-data on the GEMM path, at the current
  /// gan::num_threads(): as many as data_block_budget allows, in a number of blocks that the
  /// threads share evenly where the channels allow. The blocks change which thread sums
  /// what, never the order of any sum, so results do not depend on them.
  index_t data_block_channels() const noexcept {
    const index_t per_channel = std::max<index_t>(K * K * batch_chunk * out_plane(), 1);
    const index_t most = std::clamp<index_t>(data_block_budget / per_channel, 1, C_in);
    const index_t threads = num_threads();
    const index_t blocks =
        std::min(C_in, ((C_in + most - 1) / most + threads - 1) / threads * threads);
    return (C_in + blocks - 1) / blocks;
  }
  /// Column blocks of backward-data: ceil(C_in / data_block_channels()).
  index_t data_blocks() const noexcept {
    const index_t channels = data_block_channels();
    return (C_in + channels - 1) / channels;
  }
  /// Threads that backward-data's column blocks run on: one per block at most.
  index_t data_block_threads() const noexcept {
    return std::min<index_t>(num_threads(), data_blocks());
  }

  /// Elements of packing space the GEMMs of one batch chunk need (gemm_packed.hpp), at the
  /// current gan::num_threads(): the largest of the forward, backward-data and
  /// backward-weights products (a smaller last chunk needs no more). Backward-data on the GEMM
  /// path packs one column block per thread (gemm_detail::per_thread_workspace).
  template <class T>
  index_t gemm_space() const noexcept {
    const index_t cols = pointwise() ? out_plane() : batch_chunk * out_plane();
    const index_t k_in = pointwise() ? C_in : col_rows();
    const index_t data =
        pointwise() || col_rows() <= conv_detail::small_rows
            ? gemm_workspace_size<T>(k_in, cols, C_out)
            : data_block_threads() *
                  gemm_detail::per_thread_workspace<T>(data_block_channels() * K * K, cols, C_out);
    return std::max({gemm_workspace_size<T>(C_out, cols, k_in), data,
                     gemm_workspace_size<T>(C_out, k_in, cols)});
  }

  /// Elements of column matrix in the workspace: all of one batch chunk's for the loops of
  /// conv2d_small.hpp; for backward-data on the GEMM path one column block per thread and dy's
  /// chunk packed once for all blocks (its other directions pack straight from x and need
  /// none); none for a pointwise convolution.
  template <class T>
  index_t col_space() const noexcept {
    if (pointwise()) return 0;
    const index_t cols = batch_chunk * out_plane();
    if (col_rows() <= conv_detail::small_rows) return col_rows() * cols;
    return data_block_threads() * data_block_channels() * K * K * cols +
           gemm_detail::packed_b_size<T>(cols, C_out);
  }

  /// Elements of workspace that conv2d_forward, conv2d_backward_data and
  /// conv2d_backward_weights each need (the same for all three) at the current
  /// gan::num_threads(): the GEMM packing space, then the column matrix (col_space()), then
  /// the chunk's outputs or dy in [C_out, chunk*H_out*W_out] order when the chunk holds more
  /// than one sample and the GEMMs run (the loops of conv2d_small.hpp stage nothing: theirs
  /// is the scratch of conv2d_small_weights). A caller that raises the thread count must
  /// check it again.
  template <class T>
  index_t workspace_size() const noexcept {
    if (pointwise()) return gemm_space<T>();
    const index_t cols = batch_chunk * out_plane();
    // The loops of conv2d_small.hpp write their outputs in place: their stage is only the
    // weight gradient's scratch.
    const index_t stage = col_rows() <= conv_detail::small_rows
                              ? small_weights_scratch<T>(C_out, col_rows())
                              : (batch_chunk > 1 ? C_out * cols : 0);
    return gemm_space<T>() + col_space<T>() + stage;
  }

 private:
  bool valid_sizes() const noexcept {
    return N >= 0 && C_in > 0 && H > 0 && W > 0 && C_out > 0 && K > 0 && stride > 0 && pad >= 0 &&
           H + 2 * pad >= K && W + 2 * pad >= K;
  }
};

}  // namespace gan::kernels

#pragma once
/// im2col / col2im: lowering a convolution to a matrix product (Chellapilla, Puri &
/// Simard 2006, "High Performance Convolutional Neural Networks for Document Processing").
///
///   im2col: x: [nb, C_in, H, W] -> col: [C_in*K*K, nb*H_out*W_out]
///     col[(c*K + ki)*K + kj][(n*H_out + oh)*W_out + ow]
///       = x[n, c, oh*stride - pad + ki, ow*stride - pad + kj]   (0 outside the image)
///   col2im: the adjoint, col -> x, ADDED into x (overlapping windows sum up).
///
/// The geometry g supplies C_in, H, W, K, stride, pad, H_out, W_out; nb is the number of
/// samples in this call (g.batch_chunk or fewer), x points at the first of them. The
/// caller owns both arrays; nothing is allocated. Both are noexcept and assume g.valid().
///
/// Parallel work is split over disjoint outputs: im2col over (sample, channel) planes of
/// x (each writing its own segments of col), im2col_transposed over output rows, col2im
/// over (sample, channel) planes of x, each plane summed in a fixed order
/// (kernel row, kernel col, output row, output col), so the result does not depend on
/// the thread count.

#include <algorithm>

#include "gan/core/parallel.hpp"
#include "gan/core/shape.hpp"
#include "gan/kernels/conv_geometry.hpp"

namespace gan::kernels {

namespace conv_detail {

/// The output positions o in [0, out) whose input position o*stride + offset lies in
/// [0, in): a contiguous range [lo, hi), empty when lo == hi.
struct Span {
  index_t lo, hi;
};

inline Span valid_span(index_t out, index_t in, index_t offset, index_t stride) noexcept {
  // o*stride + offset >= 0  <=>  o >= ceil(-offset / stride)
  index_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  // o*stride + offset <= in - 1  <=>  o <= floor((in - 1 - offset) / stride)
  index_t hi = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
  return {lo, hi};
}

}  // namespace conv_detail

/// Lowers nb samples of x into col (see the header comment for the layout). One task per
/// (sample, channel) plane writes that plane's K*K row segments; the valid output ranges
/// of each kernel row and column are found once per plane (integer divisions are the
/// expensive part of this loop on small planes).
template <class T>
void im2col(const Conv2dGeometry& g, index_t nb, const T* x, T* col) noexcept {
  const index_t plane = g.out_plane();
  const index_t ld = nb * plane;  // row stride of col
  const index_t s = g.stride;
  parallel_for(0, nb * g.C_in, [&](index_t task) {
    const index_t n = task / g.C_in, c = task % g.C_in;
    const T* src_plane = x + task * g.in_plane();
    for (index_t ki = 0; ki < g.K; ++ki) {
      const conv_detail::Span rows = conv_detail::valid_span(g.H_out, g.H, ki - g.pad, s);
      for (index_t kj = 0; kj < g.K; ++kj) {
        const index_t off = kj - g.pad;  // input column of output column 0
        const conv_detail::Span cols = conv_detail::valid_span(g.W_out, g.W, off, s);
        T* dst = col + ((c * g.K + ki) * g.K + kj) * ld + n * plane;
        std::fill(dst, dst + rows.lo * g.W_out, T(0));
        for (index_t oh = rows.lo; oh < rows.hi; ++oh) {
          T* d = dst + oh * g.W_out;
          const T* src = src_plane + (oh * s - g.pad + ki) * g.W + off;
          for (index_t ow = 0; ow < cols.lo; ++ow) d[ow] = T(0);
          for (index_t ow = cols.lo; ow < cols.hi; ++ow) d[ow] = src[ow * s];
          for (index_t ow = cols.hi; ow < g.W_out; ++ow) d[ow] = T(0);
        }
        std::fill(dst + rows.hi * g.W_out, dst + plane, T(0));
      }
    }
  });
}

/// Lowers nb samples of x into the transpose of im2col's matrix, colT: [nb*H_out*W_out,
/// C_in*K*K], colT[(n*H_out + oh)*W_out + ow][(c*K + ki)*K + kj] = col[...][...]: each
/// output pixel's receptive field is one contiguous row. The weight gradient
/// dY * col^T becomes the plain product dY * colT, whose operands the GEMM packs with
/// vector loads (a transposed operand would be gathered element by element).
template <class T>
void im2col_transposed(const Conv2dGeometry& g, index_t nb, const T* x, T* colt) noexcept {
  const index_t plane = g.out_plane(), ckk = g.col_rows(), kk = g.K * g.K;
  const index_t s = g.stride;
  parallel_for(0, nb * g.H_out, [&](index_t task) {
    const index_t n = task / g.H_out, oh = task % g.H_out;
    for (index_t ow = 0; ow < g.W_out; ++ow) {
      T* dst = colt + (n * plane + oh * g.W_out + ow) * ckk;
      const index_t ih0 = oh * s - g.pad, iw0 = ow * s - g.pad;
      for (index_t c = 0; c < g.C_in; ++c, dst += kk) {
        const T* src = x + (n * g.C_in + c) * g.in_plane();
        for (index_t ki = 0; ki < g.K; ++ki) {
          const index_t ih = ih0 + ki;
          T* d = dst + ki * g.K;
          if (ih < 0 || ih >= g.H) {
            for (index_t kj = 0; kj < g.K; ++kj) d[kj] = T(0);
            continue;
          }
          const T* row = src + ih * g.W;
          for (index_t kj = 0; kj < g.K; ++kj) {
            const index_t iw = iw0 + kj;
            d[kj] = iw >= 0 && iw < g.W ? row[iw] : T(0);
          }
        }
      }
    }
  });
}

/// Adds the columns of col back into nb samples of x: the adjoint of im2col.
template <class T>
void col2im(const Conv2dGeometry& g, index_t nb, const T* col, T* x) noexcept {
  const index_t plane = g.out_plane();
  const index_t ld = nb * plane;
  const index_t s = g.stride;
  parallel_for(0, nb * g.C_in, [&](index_t task) {
    const index_t n = task / g.C_in, c = task % g.C_in;
    T* dst_plane = x + task * g.in_plane();
    for (index_t ki = 0; ki < g.K; ++ki) {
      const conv_detail::Span rows = conv_detail::valid_span(g.H_out, g.H, ki - g.pad, s);
      for (index_t kj = 0; kj < g.K; ++kj) {
        const index_t off = kj - g.pad;
        const conv_detail::Span cols = conv_detail::valid_span(g.W_out, g.W, off, s);
        const T* src = col + ((c * g.K + ki) * g.K + kj) * ld + n * plane;
        for (index_t oh = rows.lo; oh < rows.hi; ++oh) {
          T* d = dst_plane + (oh * s - g.pad + ki) * g.W + off;
          const T* srow = src + oh * g.W_out;
          for (index_t ow = cols.lo; ow < cols.hi; ++ow) d[ow * s] += srow[ow];
        }
      }
    }
  });
}

}  // namespace gan::kernels

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
///   pack_im2col, pack_im2col_transposed: slices of col and of col^T written straight into
///     the packed GEMM's B slivers (gemm_packed_operands), so the GEMM never needs col in
///     memory (the implicit GEMM). Called from inside the GEMM's threads; single-threaded.
///
/// Parallel work is split over disjoint outputs: im2col over (sample, channel) planes of
/// x (each writing its own segments of col), col2im over (channel, sample) planes of x,
/// each plane summed in a fixed order (kernel row, kernel col, output row, output col), so
/// the result does not depend on the thread count.

#include <algorithm>
#include <limits>

#include "gan/core/parallel.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/simd.hpp"
#include "gan/kernels/conv_geometry.hpp"
#include "gan/kernels/gemm_packed.hpp"

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

namespace conv_detail {

/// Kernel taps up to which pack_im2col keeps per-tap gather tables on the stack.
inline constexpr index_t max_table_taps = 64;

}  // namespace conv_detail

/// Packs rows [p0, p0 + kb) and columns [j0, j0 + ncols) of the im2col matrix of the
/// samples at x (col as in im2col(); x holds x_elems elements) straight into the GEMM's B
/// slivers (gemm_packed_operands): the implicit GEMM, so the column matrix is never written
/// to memory and read back. Columns beyond ncols are zero.
///
/// Per NR-column sliver, a table gives each kernel tap (ki, kj) and column its offset in
/// the sample (or 0 with a "padding" mark); row (c, ki, kj) is then W-lane gathers at those
/// offsets plus c*H*W, padding lanes selected to zero.
template <class T>
void pack_im2col(const Conv2dGeometry& g, const T* x, index_t x_elems, index_t p0, index_t j0,
                 index_t kb, index_t ncols, T* dst) noexcept {
  constexpr index_t nr = gemm_panel_cols<T>(), w = simd::width<T>;
  using Offsets = decltype(simd::strided_offsets<T>(0));
  using Offset = typename Offsets::value_type;
  const index_t kk = g.K * g.K, in_plane = g.in_plane();
  const bool vector =
      kk <= conv_detail::max_table_taps && nr % w == 0 &&
      static_cast<double>(x_elems) < 0.5 * static_cast<double>(std::numeric_limits<Offset>::max());
  // (sample, output row, output column) of column j0, advanced column by column.
  index_t n = j0 / g.out_plane(), oh = (j0 % g.out_plane()) / g.W_out, ow = j0 % g.W_out;
  for (index_t s0 = 0; s0 < ncols; s0 += nr, dst += nr * kb) {
    // Per column of the sliver: the input position of kernel tap (0, 0), and its offset.
    index_t ih0[nr], iw0[nr], base[nr];
    for (index_t jj = 0; jj < nr; ++jj) {
      if (s0 + jj >= ncols) {  // padding columns: every tap out of range
        ih0[jj] = -g.K - g.H;
        iw0[jj] = 0;
        base[jj] = 0;
        continue;
      }
      ih0[jj] = oh * g.stride - g.pad;
      iw0[jj] = ow * g.stride - g.pad;
      base[jj] = n * g.C_in * in_plane + ih0[jj] * g.W + iw0[jj];
      if (++ow == g.W_out) {
        ow = 0;
        if (++oh == g.H_out) oh = 0, ++n;
      }
    }
    const auto inside = [&](index_t jj, index_t ki, index_t kj) {
      const index_t ih = ih0[jj] + ki, iw = iw0[jj] + kj;
      return ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
    };
    index_t c = p0 / kk, ki = (p0 % kk) / g.K, kj = p0 % g.K;
    if (!vector) {
      for (index_t p = 0; p < kb; ++p) {
        const index_t roff = c * in_plane + ki * g.W + kj;
        for (index_t jj = 0; jj < nr; ++jj)
          dst[p * nr + jj] = inside(jj, ki, kj) ? x[base[jj] + roff] : T(0);
        if (++kj == g.K) kj = 0, ki = ki + 1 == g.K ? (++c, 0) : ki + 1;
      }
      continue;
    }
    alignas(64) Offset offset[conv_detail::max_table_taps][nr];
    alignas(64) T keep[conv_detail::max_table_taps][nr];
    for (index_t t = 0; t < kk; ++t) {
      const index_t tki = t / g.K, tkj = t % g.K;
      for (index_t jj = 0; jj < nr; ++jj) {
        const bool in = inside(jj, tki, tkj);
        offset[t][jj] = static_cast<Offset>(in ? base[jj] + tki * g.W + tkj : 0);
        keep[t][jj] = in ? T(1) : T(-1);
      }
    }
    const auto zero = simd::broadcast(T(0));
    for (index_t p = 0; p < kb; ++p) {
      const index_t t = ki * g.K + kj;
      const T* xc = x + c * in_plane;
      for (index_t v = 0; v < nr; v += w) {
        const auto lanes = simd::gather(xc, Offsets::load_unaligned(&offset[t][v]));
        simd::store(dst + p * nr + v, simd::where_positive(simd::load(&keep[t][v]), lanes, zero));
      }
      if (++kj == g.K) kj = 0, ki = ki + 1 == g.K ? (++c, 0) : ki + 1;
    }
  }
}

/// Packs rows [p0, p0 + kb) and columns [j0, j0 + ncols) of the TRANSPOSED im2col matrix
/// (rows: output pixels n*H_out*W_out + oh*W_out + ow; columns: taps (c*K + ki)*K + kj) of the
/// samples at x straight into the GEMM's B slivers: the implicit operand of the weight gradient dY
/// * col^T. A sliver's columns are fixed taps, so each pixel's row is W-lane gathers at fixed tap
/// offsets from that pixel's corner; only pixels whose window crosses the border need the per-lane
/// padding test.
template <class T>
void pack_im2col_transposed(const Conv2dGeometry& g, const T* x, index_t x_elems, index_t p0,
                            index_t j0, index_t kb, index_t ncols, T* dst) noexcept {
  constexpr index_t nr = gemm_panel_cols<T>(), w = simd::width<T>;
  using Offsets = decltype(simd::strided_offsets<T>(0));
  using Offset = typename Offsets::value_type;
  const index_t kk = g.K * g.K, in_plane = g.in_plane(), ckk = g.col_rows();
  const bool vector =
      nr % w == 0 &&
      static_cast<double>(x_elems) < 0.5 * static_cast<double>(std::numeric_limits<Offset>::max());
  for (index_t s0 = 0; s0 < ncols; s0 += nr, dst += nr * kb) {
    // Per column (tap) of the sliver: its kernel row and column and offset from the corner.
    alignas(64) Offset offset[nr];
    alignas(64) T tap_i[nr], tap_j[nr];
    index_t lowest[nr / w + 1], highest[nr / w + 1];  // offset range of each vector
    for (index_t v = 0; v <= nr / w; ++v) lowest[v] = highest[v] = 0;
    for (index_t jj = 0; jj < nr; ++jj) {
      const index_t t = std::min(j0 + s0 + jj, ckk - 1);  // padding columns repeat a tap
      const index_t c = t / kk, ki = (t % kk) / g.K, kj = t % g.K;
      offset[jj] = static_cast<Offset>(c * in_plane + ki * g.W + kj);
      tap_i[jj] = j0 + s0 + jj < ckk ? T(ki) : T(-2 * (g.K + g.H + g.W));  // never inside
      tap_j[jj] = T(kj);
      const index_t v = jj / w;
      lowest[v] = jj % w == 0 ? offset[jj] : std::min<index_t>(lowest[v], offset[jj]);
      highest[v] = jj % w == 0 ? offset[jj] : std::max<index_t>(highest[v], offset[jj]);
    }
    index_t n = p0 / g.out_plane(), oh = (p0 % g.out_plane()) / g.W_out, ow = p0 % g.W_out;
    for (index_t p = 0; p < kb; ++p) {
      const index_t ih0 = oh * g.stride - g.pad, iw0 = ow * g.stride - g.pad;
      const index_t corner = n * g.C_in * in_plane + ih0 * g.W + iw0;
      const bool interior =
          ih0 >= 0 && ih0 + g.K <= g.H && iw0 >= 0 && iw0 + g.K <= g.W && j0 + s0 + nr <= ckk;
      T* d = dst + p * nr;
      if (!vector) {
        for (index_t jj = 0; jj < nr; ++jj) {
          const index_t ih = ih0 + static_cast<index_t>(tap_i[jj]);
          const index_t iw = iw0 + static_cast<index_t>(tap_j[jj]);
          d[jj] = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? x[corner + offset[jj]] : T(0);
        }
      } else if (interior) {
        for (index_t v = 0; v < nr; v += w)
          simd::store(d + v, simd::gather(x + corner, Offsets::load_unaligned(offset + v)));
      } else {
        // Lane inside  <=>  min(ih + 1, H - ih, iw + 1, W - iw) > 0, with ih = ih0 + ki.
        const auto zero = simd::broadcast(T(0));
        const auto lo_i = simd::broadcast(T(ih0 + 1)), hi_i = simd::broadcast(T(g.H - ih0));
        const auto lo_j = simd::broadcast(T(iw0 + 1)), hi_j = simd::broadcast(T(g.W - iw0));
        for (index_t v = 0; v < nr; v += w) {
          const auto ti = simd::load(tap_i + v), tj = simd::load(tap_j + v);
          const auto keep =
              simd::min(simd::min(lo_i + ti, hi_i - ti), simd::min(lo_j + tj, hi_j - tj));
          // Lanes outside the image read a neighbouring row or channel and are selected
          // away; only where that would leave x (first and last windows of the batch) are
          // their offsets moved to the sample's start first.
          if (corner + lowest[v / w] >= 0 && corner + highest[v / w] < x_elems) {
            simd::store(
                d + v,
                simd::where_positive(
                    keep, simd::gather(x + corner, Offsets::load_unaligned(offset + v)), zero));
            continue;
          }
          alignas(64) Offset off[w];
          alignas(64) T k[w];
          simd::store(k, keep);
          for (index_t l = 0; l < w; ++l)
            off[l] = k[l] > T(0) ? offset[v + l] : Offset(-(ih0 * g.W + iw0));
          simd::store(d + v,
                      simd::where_positive(
                          keep, simd::gather(x + corner, Offsets::load_unaligned(off)), zero));
        }
      }
      if (++ow == g.W_out) {
        ow = 0;
        if (++oh == g.H_out) oh = 0, ++n;
      }
    }
  }
}

namespace conv_detail {

/// One (channel, sample) plane of the adjoint of im2col, ADDED into dst: src is that
/// channel's first row of col plus the sample's offset, ld the row stride of col. Summed in
/// a fixed order (kernel row, kernel col, output row, output col).
template <class T>
void col2im_add_plane(const Conv2dGeometry& g, index_t ld, const T* src, T* dst) noexcept {
  const index_t s = g.stride;
  for (index_t ki = 0; ki < g.K; ++ki) {
    const Span rows = valid_span(g.H_out, g.H, ki - g.pad, s);
    for (index_t kj = 0; kj < g.K; ++kj) {
      const index_t off = kj - g.pad;
      const Span cols = valid_span(g.W_out, g.W, off, s);
      const T* tap = src + (ki * g.K + kj) * ld;
      for (index_t oh = rows.lo; oh < rows.hi; ++oh) {
        T* d = dst + (oh * s - g.pad + ki) * g.W + off;
        const T* srow = tap + oh * g.W_out;
        for (index_t ow = cols.lo; ow < cols.hi; ++ow) d[ow * s] += srow[ow];
      }
    }
  }
}

}  // namespace conv_detail

/// Adds the columns of col back into nb samples of x: the adjoint of im2col.
template <class T>
void col2im(const Conv2dGeometry& g, index_t nb, const T* col, T* x) noexcept {
  const index_t ld = nb * g.out_plane(), kk = g.K * g.K;
  // Channel-major tasks: a thread takes whole channels, the rows of col that a GEMM split
  // over its rows (taps) left in that core's cache.
  parallel_for(0, nb * g.C_in, [&](index_t task) {
    const index_t c = task / nb, n = task % nb;
    conv_detail::col2im_add_plane(g, ld, col + c * kk * ld + n * g.out_plane(),
                                  x + (n * g.C_in + c) * g.in_plane());
  });
}

namespace conv_detail {

/// Table entries (taps per input pixel x pixels per plane) up to which col2im_overwrite
/// gathers through a table on the stack.
inline constexpr index_t max_gather_table = 8192;

/// For col2im_overwrite on columns of row stride ld: offset[t * padded + pixel] is where in a
/// (channel, sample)'s rows of col the t-th term of that input pixel lies (kernel taps in
/// increasing (ki, kj) order), keep <= 0 marking no term. `usable` is false when the table
/// would not fit (or its offsets would not fit their type); planes are then summed by
/// col2im_add_plane.
template <class T>
struct Col2imTable {
  using Offsets = decltype(simd::strided_offsets<T>(0));
  using Offset = typename Offsets::value_type;
  alignas(64) Offset offset[max_gather_table];
  alignas(64) T keep[max_gather_table];
  index_t taps, padded;
  bool usable;

  Col2imTable(const Conv2dGeometry& g, index_t ld) noexcept {
    constexpr index_t w = simd::width<T>;
    const index_t in_plane = g.in_plane(), kk = g.K * g.K, s = g.stride;
    const index_t per_axis = (g.K + s - 1) / s;
    taps = per_axis * per_axis;
    padded = (in_plane + w - 1) / w * w;
    usable = in_plane >= w && taps * padded <= max_gather_table &&
             static_cast<double>(kk * ld) <
                 0.5 * static_cast<double>(std::numeric_limits<Offset>::max());
    if (!usable) return;
    std::fill(offset, offset + taps * padded, Offset(0));
    std::fill(keep, keep + taps * padded, T(-1));
    for (index_t ih = 0; ih < g.H; ++ih) {
      for (index_t iw = 0; iw < g.W; ++iw) {
        index_t t = 0;
        for (index_t ki = 0; ki < g.K; ++ki) {
          const index_t oh_s = ih + g.pad - ki;  // oh * stride
          if (oh_s < 0 || oh_s % s != 0 || oh_s / s >= g.H_out) continue;
          for (index_t kj = 0; kj < g.K; ++kj) {
            const index_t ow_s = iw + g.pad - kj;
            if (ow_s < 0 || ow_s % s != 0 || ow_s / s >= g.W_out) continue;
            const index_t e = t++ * padded + ih * g.W + iw;
            offset[e] = static_cast<Offset>((ki * g.K + kj) * ld + (oh_s / s) * g.W_out + ow_s / s);
            keep[e] = T(1);
          }
        }
      }
    }
  }
};

/// One (channel, sample) plane of x = col2im(col), overwriting dst: each input pixel the sum
/// of its at most ceil(K/stride)^2 taps, read in a fixed order by W-lane gathers through the
/// table instead of scattering every column element back with a scalar add. src and ld as
/// col2im_add_plane.
template <class T>
void col2im_overwrite_plane(const Conv2dGeometry& g, const Col2imTable<T>& table, index_t ld,
                            const T* src, T* dst) noexcept {
  constexpr index_t w = simd::width<T>;
  using Offsets = typename Col2imTable<T>::Offsets;
  const index_t in_plane = g.in_plane();
  if (!table.usable) {
    std::fill(dst, dst + in_plane, T(0));
    col2im_add_plane(g, ld, src, dst);
    return;
  }
  const auto zero = simd::broadcast(T(0));
  const auto pixels = [&](index_t p) {
    auto acc = zero;
    for (index_t t = 0; t < table.taps; ++t) {
      const index_t e = t * table.padded + p;
      acc +=
          simd::where_positive(simd::load(table.keep + e),
                               simd::gather(src, Offsets::load_unaligned(table.offset + e)), zero);
    }
    simd::store(dst + p, acc);
  };
  index_t p = 0;
  for (; p + w <= in_plane; p += w) pixels(p);
  // The last vector ends at the plane's end; shared lanes get the same values again.
  if (p < in_plane) pixels(in_plane - w);
}

}  // namespace conv_detail

/// x = col2im(col) for nb samples, overwriting x (no zeroing pass), plane by plane through
/// conv_detail::col2im_overwrite_plane. One task per (channel, sample) plane, as col2im.
template <class T>
void col2im_overwrite(const Conv2dGeometry& g, index_t nb, const T* col, T* x) noexcept {
  const index_t ld = nb * g.out_plane(), kk = g.K * g.K;
  const conv_detail::Col2imTable<T> table(g, ld);
  parallel_for(0, nb * g.C_in, [&](index_t task) {
    const index_t c = task / nb, n = task % nb;
    conv_detail::col2im_overwrite_plane(g, table, ld, col + c * kk * ld + n * g.out_plane(),
                                        x + (n * g.C_in + c) * g.in_plane());
  });
}

}  // namespace gan::kernels

#pragma once
/// Packed, cache-blocked GEMM on raw row-major memory, allocation-free:
///   C = alpha * op(A) * op(B) + beta * C,  op(A): [M, K], op(B): [K, N], C: [M, N],
/// op(X) = X or X^T; lda/ldb/ldc are the row strides of A, B, C as stored (A stored
/// [M, K] or [K, M], B stored [K, N] or [N, K]). beta == 0 never reads C (NaN in C is
/// overwritten). The caller owns `workspace`: at least gemm_workspace_size<T>(m, n, k)
/// elements (64-byte aligned is fastest, e.g. Tensor storage), sized with the thread count
/// in force at the call; the kernel allocates nothing and threads itself with
/// parallel_for_chunks, so do not call it from inside parallel_for.
///
/// Structure: Goto & van de Geijn 2008, "Anatomy of High-Performance Matrix
/// Multiplication" (the BLIS loop order): loop over NC-column panels of B, KC-deep slices
/// of K (B slice packed into NR-column slivers), MC-row blocks of A (packed into MR-row
/// slivers), then an MR x NR register-blocked micro-kernel. Work is split over threads by
/// whole MR/NR tiles of M or N, never over K, and every C element is accumulated in the
/// same K order with the same vector arithmetic, so results are bit-identical for any
/// thread count.

#include <algorithm>
#include <cstring>
#include <utility>

#include "gan/core/parallel.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/simd.hpp"

namespace gan::kernels {

namespace gemm_detail {

/// Blocking parameters, for a 2-core AVX-512 Xeon (L1d 48 KiB, L2 2 MiB per core; see
/// /sys/devices/system/cpu/cpu0/cache), tuned with bench/gemm.cpp. The reasons:
template <class T>
struct Blocking {
  static constexpr index_t w = simd::width<T>;
  // Register tile MR x (NV * W): MR * NV accumulators + NV B vectors + 1 broadcast must fit
  // the register file. Per K step: NV loads and MR broadcasts (loads) for MR * NV FMAs,
  // within the two load ports while the two FMA ports stay busy. AVX-512 (32 registers):
  // 8 x 2 -> 16 + 2 + 1 = 19; 12 x 2 (27 registers) ran as fast on square shapes but wastes
  // 11 % of a tile on the 64-row GEMMs of the conv layers (channel counts are powers of
  // two), where 8 rows measured 141 vs 124 GFLOP/s. 16 registers: 6 x 2 -> 15.
  static constexpr index_t nv = 2;
  static constexpr index_t mr = simd::vector_registers >= 32 ? 8 : 6;
  static constexpr index_t nr = nv * w;
  // KC: one packed B sliver (KC x NR) stays in L1 while the micro-kernel walks every A
  // sliver of the block: 256 x 32 floats = 32 KiB of the 48 KiB L1d (same bytes for double),
  // and C is loaded and stored once per 256 FMAs per accumulator.
  static constexpr index_t kc = 256;
  // MC: the packed A block (MC x KC) stays in L2: 240 x 256 floats = 240 KiB of 2 MiB.
  static constexpr index_t mc = mr * (240 / mr);
  // NC: the packed B panel (KC x NC) is reused by every A block, so it should stay in L2:
  // 256 x 1024 floats = 1 MiB, half the L2 (3072 columns, spilling to L3, was slower on
  // the 1024-column and conv shapes).
  static constexpr index_t nc = nr * (1024 / nr);
};

inline index_t round_up(index_t x, index_t to) noexcept { return (x + to - 1) / to * to; }

// The register tiles below exist only if these helpers are inlined: GCC 12 once left
// static_for out of line when a translation unit gained one more GEMM caller, and the
// micro-kernel ran at a third of its speed. So inlining is forced where the compiler allows.
#if defined(__GNUC__)
#define GAN_FORCE_INLINE inline __attribute__((always_inline))
#else
#define GAN_FORCE_INLINE inline
#endif

template <class F, std::size_t... I>
GAN_FORCE_INLINE void static_for(F&& f, std::index_sequence<I...>) noexcept {
  (f(std::integral_constant<index_t, static_cast<index_t>(I)>{}), ...);
}
/// f(0), ..., f(N - 1) with compile-time indices: the micro-kernel's loops unroll
/// completely so its accumulators live in registers.
template <index_t N, class F>
GAN_FORCE_INLINE void unroll(F&& f) noexcept {
  static_for(f, std::make_index_sequence<static_cast<std::size_t>(N)>{});
}

/// Packs op(A)[0..mb, 0..kb) into MR-row slivers: sliver s holds, for each p, the MR values
/// op(A)[s*MR + r, p] (r < MR), zero beyond row mb.
template <class T>
void pack_a(bool trans_a, index_t mb, index_t kb, const T* a, index_t lda, T* dst) noexcept {
  constexpr index_t mr = Blocking<T>::mr;
  for (index_t i0 = 0; i0 < mb; i0 += mr, dst += mr * kb) {
    const index_t rows = std::min(mr, mb - i0);
    if (trans_a) {  // op(A)[i, p] = a[p * lda + i]: each p is a contiguous run of rows.
      for (index_t p = 0; p < kb; ++p) {
        const T* src = a + p * lda + i0;
        T* d = dst + p * mr;
        for (index_t r = 0; r < rows; ++r) d[r] = src[r];
        for (index_t r = rows; r < mr; ++r) d[r] = T(0);
      }
    } else {  // op(A)[i, p] = a[i * lda + p]: read each row contiguously.
      for (index_t r = 0; r < rows; ++r) {
        const T* src = a + (i0 + r) * lda;
        for (index_t p = 0; p < kb; ++p) dst[p * mr + r] = src[p];
      }
      for (index_t r = rows; r < mr; ++r)
        for (index_t p = 0; p < kb; ++p) dst[p * mr + r] = T(0);
    }
  }
}

/// Packs op(B)[0..kb, 0..nb) into NR-column slivers: sliver s holds, for each p, the NR
/// values op(B)[p, s*NR + j] (j < NR), zero beyond column nb.
template <class T>
void pack_b(bool trans_b, index_t kb, index_t nb, const T* b, index_t ldb, T* dst) noexcept {
  constexpr index_t nr = Blocking<T>::nr;
  constexpr index_t w = Blocking<T>::w;
  if (!trans_b) {
    // op(B)[p, j] = b[p * ldb + j]: walk each row of B once, left to right, so the
    // hardware prefetcher sees one stream per row instead of a new page every KC rows.
    for (index_t p = 0; p < kb; ++p) {
      const T* src = b + p * ldb;
      index_t j0 = 0;
      for (T* d = dst + p * nr; j0 + nr <= nb; j0 += nr, d += nr * kb)
        unroll<Blocking<T>::nv>(
            [&](auto v) { simd::store(d + v * w, simd::load(src + j0 + v * w)); });
      if (j0 < nb) {
        T* d = dst + (j0 / nr) * nr * kb + p * nr;
        for (index_t j = 0; j < nr; ++j) d[j] = j0 + j < nb ? src[j0 + j] : T(0);
      }
    }
    return;
  }
  // op(B)[p, j] = b[j * ldb + p]: a transpose. Full slivers gather W rows' values per
  // vector (the offsets must fit the index type); the rest goes element by element in
  // blocks of 16 p, so the NR rows being read stay in L1.
  const bool use_gather = static_cast<double>(w) * static_cast<double>(ldb) < 2.0e9;
  const auto offsets = simd::strided_offsets<T>(use_gather ? ldb : 0);
  for (index_t j0 = 0; j0 < nb; j0 += nr, dst += nr * kb) {
    const index_t cols = std::min(nr, nb - j0);
    if (use_gather && cols == nr) {
      for (index_t p = 0; p < kb; ++p)
        unroll<Blocking<T>::nv>([&](auto v) {
          simd::store(dst + p * nr + v * w, simd::gather(b + (j0 + v * w) * ldb + p, offsets));
        });
      continue;
    }
    constexpr index_t pb = 16;
    for (index_t p0 = 0; p0 < kb; p0 += pb) {
      const index_t pe = std::min(kb, p0 + pb);
      for (index_t j = 0; j < nr; ++j) {
        const T* src = b + (j0 + j) * ldb;
        for (index_t p = p0; p < pe; ++p) dst[p * nr + j] = j < cols ? src[p] : T(0);
      }
    }
  }
}

/// c[MR x NR tile, row stride ldc] = alpha * acc + beta * c; beta == 0 does not read c.
/// Full and edge tiles both come through here, so every element sees the same arithmetic.
template <class T, class Acc>
inline void update_tile(const Acc& acc, T alpha, T beta, T* c, index_t ldc) noexcept {
  using B = Blocking<T>;
  const auto va = simd::broadcast(alpha);
  if (beta == T(0)) {
    for (index_t i = 0; i < B::mr; ++i)
      for (index_t v = 0; v < B::nv; ++v) simd::store(c + i * ldc + v * B::w, va * acc[i][v]);
  } else {
    const auto vb = simd::broadcast(beta);
    for (index_t i = 0; i < B::mr; ++i) {
      for (index_t v = 0; v < B::nv; ++v) {
        T* p = c + i * ldc + v * B::w;
        simd::store(p, simd::fma(va, acc[i][v], vb * simd::load(p)));
      }
    }
  }
}

/// One MR x NR tile of C (rows x cols of it valid) from packed slivers a (KC x MR) and
/// b (KC x NR): accumulate over kb in order, then update C through update_tile.
template <class T>
void micro_kernel(index_t kb, const T* a, const T* b, T alpha, T beta, T* c, index_t ldc,
                  index_t rows, index_t cols) noexcept {
  using B = Blocking<T>;
  simd::batch<T> acc[B::mr][B::nv];
  unroll<B::mr>([&](auto i) { unroll<B::nv>([&](auto v) { acc[i][v] = simd::broadcast(T(0)); }); });
  for (index_t p = 0; p < kb; ++p, a += B::mr, b += B::nr) {
    simd::batch<T> bv[B::nv];
    unroll<B::nv>([&](auto v) { bv[v] = simd::load(b + v * B::w); });
    unroll<B::mr>([&](auto i) {
      const auto ai = simd::broadcast(a[i]);
      unroll<B::nv>([&](auto v) { acc[i][v] = simd::fma(ai, bv[v], acc[i][v]); });
    });
  }
  if (rows == B::mr && cols == B::nr) {
    update_tile(acc, alpha, beta, c, ldc);
    return;
  }
  // Edge tile: stage the valid part of C in a full tile so the arithmetic is unchanged.
  alignas(64) T tile[B::mr * B::nr];
  if (beta != T(0)) {
    for (index_t i = 0; i < rows; ++i)
      for (index_t j = 0; j < cols; ++j) tile[i * B::nr + j] = c[i * ldc + j];
  }
  update_tile(acc, alpha, beta, tile, B::nr);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) c[i * ldc + j] = tile[i * B::nr + j];
}

/// Elements of op(B) [k, n] packed whole, every (NC, KC) panel in gemm_serial's order:
/// b_panels_offset gives where panel (p, j) starts.
template <class T>
index_t packed_b_size(index_t n, index_t k) noexcept {
  return k * round_up(n, Blocking<T>::nr);
}
/// Start of panel (p, j) (p a multiple of KC, j of NC) of op(B) [k, n] packed whole: the
/// panels of earlier NC-column blocks hold j * k elements, those before p in this block
/// p * (its columns rounded up to slivers).
template <class T>
index_t packed_b_offset(index_t n, index_t k, index_t p, index_t j) noexcept {
  return j * k + p * round_up(std::min(Blocking<T>::nc, n - j), Blocking<T>::nr);
}

/// Elements of workspace one thread uses for an m x n x k problem (64-byte multiple).
template <class T>
index_t per_thread_workspace(index_t m, index_t n, index_t k) noexcept {
  using B = Blocking<T>;
  const index_t kcb = std::min(B::kc, k);
  const index_t mcb = std::min(B::mc, round_up(m, B::mr));
  const index_t ncb = std::min(B::nc, round_up(n, B::nr));
  return round_up(mcb * kcb + kcb * ncb, 64 / static_cast<index_t>(sizeof(T)));
}

/// Threads worth using: one below ~0.5 MFLOP (the fork costs more than it saves), and
/// never more than there are tiles along the longer split.
template <class T>
index_t gemm_threads(index_t m, index_t n, index_t k) noexcept {
  using B = Blocking<T>;
  if (m * n * k < 64 * 64 * 64) return 1;
  const index_t tiles = std::max((m + B::mr - 1) / B::mr, (n + B::nr - 1) / B::nr);
  return std::max<index_t>(1, std::min<index_t>(num_threads(), tiles));
}

/// The single-threaded Goto/BLIS loop nest on rows [i0, i0 + m) and columns [j0, j0 + n)
/// of the problem (c points at C[i0, j0]). pack_a(i, p, mb, kb, dst) packs op(A)[i..i+mb,
/// p..p+kb) as pack_a() does; b_panel(p, j, kb, nb, space) returns op(B)[p..p+kb, j..j+nb)
/// packed as pack_b() does, either packed into `space` or one packed earlier (coordinates of
/// the whole problem).
template <class T, class PackA, class PanelB>
void gemm_serial(index_t i0, index_t j0, index_t m, index_t n, index_t k, T alpha,
                 const PackA& pack_a_fn, const PanelB& b_panel, T beta, T* c, index_t ldc,
                 T* workspace) noexcept {
  using B = Blocking<T>;
  T* apack = workspace;
  T* bpack = workspace + std::min(B::mc, round_up(m, B::mr)) * std::min(B::kc, k);
  for (index_t jc = 0; jc < n; jc += B::nc) {
    const index_t nb = std::min(B::nc, n - jc);
    for (index_t pc = 0; pc < k; pc += B::kc) {
      const index_t kb = std::min(B::kc, k - pc);
      const T* bp = b_panel(pc, j0 + jc, kb, nb, bpack);
      // The first K slice applies beta; later ones accumulate onto it (beta = 1).
      const T beta_k = pc == 0 ? beta : T(1);
      for (index_t ic = 0; ic < m; ic += B::mc) {
        const index_t mb = std::min(B::mc, m - ic);
        pack_a_fn(i0 + ic, pc, mb, kb, apack);
        for (index_t jr = 0; jr < nb; jr += B::nr) {
          for (index_t ir = 0; ir < mb; ir += B::mr) {
            micro_kernel(kb, apack + ir * kb, bp + jr * kb, alpha, beta_k,
                         c + (ic + ir) * ldc + jc + jr, ldc, std::min(B::mr, mb - ir),
                         std::min(B::nr, nb - jr));
          }
        }
      }
    }
  }
}

}  // namespace gemm_detail

/// Elements of workspace gemm(..., workspace) needs for op(A): [m, k], op(B): [k, n]
/// at the current gan::num_threads().
template <class T>
index_t gemm_workspace_size(index_t m, index_t n, index_t k) noexcept {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  return gemm_detail::gemm_threads<T>(m, n, k) * gemm_detail::per_thread_workspace<T>(m, n, k);
}

/// C = alpha * op(A) * op(B) + beta * C, with op(A) and op(B) supplied by packing
/// functions instead of memory (for operands that exist only implicitly, such as the
/// im2col matrix of a convolution): pack_a(i, p, mb, kb, dst) writes op(A)[i..i+mb,
/// p..p+kb) into MR-row slivers, pack_b(p, j, kb, nb, dst) writes op(B)[p..p+kb, j..j+nb)
/// into NR-column slivers, both zero-padded to whole slivers, exactly as
/// gemm_detail::pack_a / pack_b lay them out (gemm_panel_rows / gemm_panel_cols give MR
/// and NR). They are called from the GEMM's threads on disjoint destinations. Workspace,
/// threading and determinism as gemm() below, which is this function with packers that
/// read A and B from memory.
template <class T, class PackA, class PackB>
void gemm_packed_operands(index_t m, index_t n, index_t k, T alpha, const PackA& pack_a,
                          const PackB& pack_b, T beta, T* c, index_t ldc, T* workspace) noexcept {
  using B = gemm_detail::Blocking<T>;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {  // No products: C = beta * C, without reading C when beta == 0.
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    return;
  }
  const auto b_panel = [&pack_b](index_t p, index_t j, index_t kb, index_t nb, T* space) {
    pack_b(p, j, kb, nb, space);
    return static_cast<const T*>(space);
  };
  const index_t threads = gemm_detail::gemm_threads<T>(m, n, k);
  if (threads == 1) {
    gemm_detail::gemm_serial(0, 0, m, n, k, alpha, pack_a, b_panel, beta, c, ldc, workspace);
    return;
  }
  // Split the longer tile count (better balance) into whole tiles per thread.
  const index_t tiles_m = (m + B::mr - 1) / B::mr, tiles_n = (n + B::nr - 1) / B::nr;
  const auto balance = [threads](index_t tiles) {
    return static_cast<double>(tiles) /
           static_cast<double>(((tiles + threads - 1) / threads) * threads);
  };
  const bool split_n = balance(tiles_n) >= balance(tiles_m);
  const index_t tiles = split_n ? tiles_n : tiles_m;
  const index_t per_thread = gemm_detail::per_thread_workspace<T>(m, n, k);
  parallel_for_chunks(0, threads, [&](index_t lo, index_t hi) {
    for (index_t t = lo; t < hi; ++t) {
      const index_t t0 = tiles * t / threads, t1 = tiles * (t + 1) / threads;
      if (t0 == t1) continue;
      T* ws = workspace + t * per_thread;
      if (split_n) {
        const index_t j0 = t0 * B::nr, j1 = std::min(n, t1 * B::nr);
        gemm_detail::gemm_serial(0, j0, m, j1 - j0, k, alpha, pack_a, b_panel, beta, c + j0, ldc,
                                 ws);
      } else {
        const index_t i0 = t0 * B::mr, i1 = std::min(m, t1 * B::mr);
        gemm_detail::gemm_serial(i0, 0, i1 - i0, n, k, alpha, pack_a, b_panel, beta, c + i0 * ldc,
                                 ldc, ws);
      }
    }
  });
}

/// Rows of one packed A sliver (MR) and columns of one packed B sliver (NR).
template <class T>
constexpr index_t gemm_panel_rows() noexcept {
  return gemm_detail::Blocking<T>::mr;
}
template <class T>
constexpr index_t gemm_panel_cols() noexcept {
  return gemm_detail::Blocking<T>::nr;
}

/// C = alpha * op(A) * op(B) + beta * C with a caller-owned workspace of at least
/// gemm_workspace_size<T>(m, n, k) elements. See the file comment for the contract.
template <class T>
void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a,
          index_t lda, const T* b, index_t ldb, T beta, T* c, index_t ldc, T* workspace) noexcept {
  const auto pack_a = [=](index_t i, index_t p, index_t mb, index_t kb, T* dst) {
    gemm_detail::pack_a(trans_a, mb, kb, trans_a ? a + p * lda + i : a + i * lda + p, lda, dst);
  };
  const auto pack_b = [=](index_t p, index_t j, index_t kb, index_t nb, T* dst) {
    gemm_detail::pack_b(trans_b, kb, nb, trans_b ? b + j * ldb + p : b + p * ldb + j, ldb, dst);
  };
  gemm_packed_operands(m, n, k, alpha, pack_a, pack_b, beta, c, ldc, workspace);
}

}  // namespace gan::kernels

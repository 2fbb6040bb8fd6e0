#pragma once
/// The one place that includes xsimd (docs/architecture.md). Element-wise loops are written once
/// as a generic lambda and run by transform(): on full xsimd batches first, then on
/// the scalar tail in the same function (docs/architecture.md, "House rules"). The math helpers
/// below take either a batch or a scalar, so the same lambda serves both.

#include <cmath>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "gan/core/shape.hpp"

namespace gan::simd {

template <class T>
using batch = xsimd::batch<T>;

/// Lanes in one register for T on the architecture this file was compiled for.
template <class T>
inline constexpr index_t width = static_cast<index_t>(batch<T>::size);

template <class T>
using if_scalar = std::enable_if_t<std::is_floating_point_v<T>, T>;

/// Vector registers of the architecture this file was compiled for (AVX-512 and
/// AArch64: 32, SSE/AVX: 16): sizes register-blocked kernels such as the GEMM micro-kernel.
inline constexpr int vector_registers = (XSIMD_WITH_AVX512F || XSIMD_WITH_NEON64) ? 32 : 16;

// --- raw batch access for register-blocked kernels ---------------------------------
/// One batch from p[0..width) (any alignment).
template <class T>
batch<T> load(const T* p) noexcept {
  return batch<T>::load_unaligned(p);
}
/// Writes x to p[0..width) (any alignment).
template <class T>
void store(T* p, const batch<T>& x) noexcept {
  x.store_unaligned(p);
}
/// A batch with every lane set to value.
template <class T>
batch<T> broadcast(T value) noexcept {
  return batch<T>(value);
}
/// Lane offsets 0, stride, 2 * stride, ... for gather(), in the integer type of T's width.
/// The largest, (width - 1) * stride, must fit that type (int32 for float).
template <class T>
auto strided_offsets(index_t stride) noexcept {
  using I = xsimd::as_integer_t<T>;
  alignas(64) I offsets[width<T>];
  for (index_t i = 0; i < width<T>; ++i) offsets[i] = static_cast<I>(i * stride);
  return xsimd::batch<I>::load_aligned(offsets);
}
/// Lane i = p[offsets[i]] (offsets from strided_offsets).
template <class T, class I>
batch<T> gather(const T* p, const I& offsets) noexcept {
#if XSIMD_WITH_AVX512F || XSIMD_WITH_AVX2
  // xsimd 8.1's batch::gather names its kernel with template arguments <arch, T> that the
  // AVX2/AVX-512 float and double overloads do not take, so it silently runs its generic
  // lane-by-lane insert loop (16 loads and blends); call the architecture's hardware
  // gather instruction directly.
  using Arch = typename batch<T>::arch_type;
  return xsimd::kernel::gather<Arch>(p, offsets, Arch{});
#else
  return batch<T>::gather(p, offsets);
#endif
}
/// x * y + z: a scalar or a batch (fused where the architecture has FMA).
template <class T>
if_scalar<T> fma(T x, T y, T z) noexcept {
  return std::fma(x, y, z);
}
template <class T, class A>
xsimd::batch<T, A> fma(const xsimd::batch<T, A>& x, const xsimd::batch<T, A>& y,
                       const xsimd::batch<T, A>& z) noexcept {
  return xsimd::fma(x, y, z);
}

// --- math on a batch or a scalar -------------------------------------------------
template <class T>
if_scalar<T> exp(T x) noexcept {
  return std::exp(x);
}
template <class T, class A>
xsimd::batch<T, A> exp(const xsimd::batch<T, A>& x) noexcept {
  return xsimd::exp(x);
}

template <class T>
if_scalar<T> log(T x) noexcept {
  return std::log(x);
}
template <class T, class A>
xsimd::batch<T, A> log(const xsimd::batch<T, A>& x) noexcept {
  return xsimd::log(x);
}

template <class T>
if_scalar<T> log1p(T x) noexcept {
  return std::log1p(x);
}
template <class T, class A>
xsimd::batch<T, A> log1p(const xsimd::batch<T, A>& x) noexcept {
  return xsimd::log1p(x);
}

template <class T>
if_scalar<T> tanh(T x) noexcept {
  return std::tanh(x);
}
template <class T, class A>
xsimd::batch<T, A> tanh(const xsimd::batch<T, A>& x) noexcept {
  return xsimd::tanh(x);
}

template <class T>
if_scalar<T> sqrt(T x) noexcept {
  return std::sqrt(x);
}
template <class T, class A>
xsimd::batch<T, A> sqrt(const xsimd::batch<T, A>& x) noexcept {
  return xsimd::sqrt(x);
}

template <class T>
if_scalar<T> abs(T x) noexcept {
  return std::abs(x);
}
template <class T, class A>
xsimd::batch<T, A> abs(const xsimd::batch<T, A>& x) noexcept {
  return xsimd::abs(x);
}

template <class T>
if_scalar<T> max(T a, T b) noexcept {
  return a > b ? a : b;
}
template <class T, class A>
xsimd::batch<T, A> max(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept {
  return xsimd::max(a, b);
}
template <class T>
if_scalar<T> min(T a, T b) noexcept {
  return a < b ? a : b;
}
template <class T, class A>
xsimd::batch<T, A> min(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) noexcept {
  return xsimd::min(a, b);
}

/// x > 0 ? pos : neg, lane by lane.
template <class T>
if_scalar<T> where_positive(T x, T pos, T neg) noexcept {
  return x > T(0) ? pos : neg;
}
template <class T, class A>
xsimd::batch<T, A> where_positive(const xsimd::batch<T, A>& x, const xsimd::batch<T, A>& pos,
                                  const xsimd::batch<T, A>& neg) noexcept {
  return xsimd::select(x > xsimd::batch<T, A>(T(0)), pos, neg);
}

/// The same value as `like`: a scalar or a batch with every lane set.
template <class T>
if_scalar<T> splat(T, T value) noexcept {
  return value;
}
template <class T, class A>
xsimd::batch<T, A> splat(const xsimd::batch<T, A>&, T value) noexcept {
  return xsimd::batch<T, A>(value);
}

// --- loops -------------------------------------------------------------------------

/// out[i] = f(in[i]) for i < n. `in` and `out` may be the same array.
template <class T, class F>
void transform(index_t n, const T* in, T* out, F&& f) noexcept {
  index_t i = 0;
  for (; i + width<T> <= n; i += width<T>)
    f(batch<T>::load_unaligned(in + i)).store_unaligned(out + i);
  for (; i < n; ++i) out[i] = f(in[i]);
}

/// out[i] = f(a[i], b[i]) for i < n. out may alias a or b.
template <class T, class F>
void transform(index_t n, const T* a, const T* b, T* out, F&& f) noexcept {
  index_t i = 0;
  for (; i + width<T> <= n; i += width<T>)
    f(batch<T>::load_unaligned(a + i), batch<T>::load_unaligned(b + i)).store_unaligned(out + i);
  for (; i < n; ++i) out[i] = f(a[i], b[i]);
}

/// out[i] = f(a[i], b[i], c[i]) for i < n. out may alias any input.
template <class T, class F>
void transform(index_t n, const T* a, const T* b, const T* c, T* out, F&& f) noexcept {
  index_t i = 0;
  for (; i + width<T> <= n; i += width<T>)
    f(batch<T>::load_unaligned(a + i), batch<T>::load_unaligned(b + i),
      batch<T>::load_unaligned(c + i))
        .store_unaligned(out + i);
  for (; i < n; ++i) out[i] = f(a[i], b[i], c[i]);
}

/// Sum of x[0..n) in a fixed order (lane-wise partial sums, then the tail), so the
/// result depends only on the data and the architecture.
template <class T>
T sum(index_t n, const T* x) noexcept {
  batch<T> acc(T(0));
  index_t i = 0;
  for (; i + width<T> <= n; i += width<T>) acc += batch<T>::load_unaligned(x + i);
  T s = xsimd::hadd(acc);
  for (; i < n; ++i) s += x[i];
  return s;
}

/// True when every x[0..n) is finite: x * 0 is 0 for a finite x and NaN for an infinite or
/// NaN one, so one pass of multiply-adds decides it without a branch per element.
template <class T>
bool all_finite(index_t n, const T* x) noexcept {
  batch<T> acc(T(0));
  const batch<T> zero(T(0));
  index_t i = 0;
  for (; i + width<T> <= n; i += width<T>) acc += batch<T>::load_unaligned(x + i) * zero;
  T s = xsimd::hadd(acc);
  for (; i < n; ++i) s += x[i] * T(0);
  return s == T(0);
}

/// y[i] += a * x[i].
template <class T>
void axpy(index_t n, T a, const T* x, T* y) noexcept {
  transform(n, x, y, y, [a](auto xv, auto yv) { return xv * splat(xv, a) + yv; });
}

}  // namespace gan::simd

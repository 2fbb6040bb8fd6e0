#pragma once
/// The one place with `#pragma omp` (docs/architecture.md). parallel_for splits [begin, end)
/// into contiguous static chunks, one per thread, so a given thread count always
/// assigns the same work. Inside an already parallel region it runs serially: one
/// level of parallelism at a time, never nested. Without OpenMP it is a plain loop.

#include <Eigen/Core>

#include "gan/core/shape.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gan {

/// Threads used by parallel_for and by Eigen's GEMM.
inline int num_threads() noexcept {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Sets the threads for gan's kernels and Eigen's GEMM (OMP_NUM_THREADS is the default).
inline void set_num_threads(int n) noexcept {
  if (n < 1) n = 1;
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
  Eigen::setNbThreads(n);
}

/// Calls f(lo, hi) on disjoint contiguous chunks that cover [begin, end), in parallel.
/// Chunk boundaries depend only on the range and the thread count.
template <class F>
void parallel_for_chunks(index_t begin, index_t end, F&& f) {
  const index_t n = end - begin;
  if (n <= 0) return;
#ifdef _OPENMP
  if (n > 1 && !omp_in_parallel() && omp_get_max_threads() > 1) {
#pragma omp parallel
    {
      const index_t threads = omp_get_num_threads();
      const index_t t = omp_get_thread_num();
      const index_t lo = begin + n * t / threads;
      const index_t hi = begin + n * (t + 1) / threads;
      if (lo < hi) f(lo, hi);
    }
    return;
  }
#endif
  f(begin, end);
}

/// Calls f(i) for every i in [begin, end), in parallel, statically scheduled.
template <class F>
void parallel_for(index_t begin, index_t end, F&& f) {
  parallel_for_chunks(begin, end, [&](index_t lo, index_t hi) {
    for (index_t i = lo; i < hi; ++i) f(i);
  });
}

}  // namespace gan

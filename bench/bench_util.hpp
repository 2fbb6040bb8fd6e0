#pragma once
// Shared helpers for the Google Benchmark files in bench/: this machine's FMA peak measured
// by a kernel of our own, GFLOP/s and %-of-peak counters, and the thread-count argument.
//
// Conventions: FLOPs = 2 x multiply-adds. Every benchmark takes its thread count as its
// first argument (registered for 1 thread and for every core), measures wall time
// (UseRealTime, since OpenMP threads do the work) and reports the median of 5 repetitions
// (the VMs are noisy). The FP32 peak comes from GAN_PEAK_GFLOPS when set ("227,428": one
// value per thread count; a single value is the 1-thread peak, scaled by the thread count),
// else it is measured once per process; the FP64 peak is half the FP32 one (same FMA
// ports, half the lanes).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/core/simd.hpp"

namespace gan::bench {

/// Independent FMA chains per thread: two FMA ports x 4 cycles latency need 8 in flight;
/// more hide scheduling noise, as long as they and the two constants fit the registers.
inline constexpr int fma_chains = simd::vector_registers >= 32 ? 16 : 12;

/// Runs `iters` steps of fma_chains independent FMA chains on xsimd batches (the peak
/// kernel) and returns a value that depends on all of them so nothing is optimised away.
/// FLOPs done: 2 * fma_chains * simd::width<T> * iters.
template <class T>
T fma_peak_kernel(index_t iters, T seed) noexcept {
  simd::batch<T> acc[fma_chains];
  for (int i = 0; i < fma_chains; ++i) acc[i] = simd::broadcast(seed + T(i));
  // x * 1 + eps stays bounded: the chains never overflow or go subnormal.
  const auto x = simd::broadcast(T(0.999999));
  const auto y = simd::broadcast(T(1e-7));
  for (index_t it = 0; it < iters; ++it) {
    for (int i = 0; i < fma_chains; ++i) acc[i] = simd::fma(acc[i], x, y);
  }
  simd::batch<T> s = acc[0];
  for (int i = 1; i < fma_chains; ++i) s += acc[i];
  T out[simd::width<T>];
  simd::store(out, s);
  T r = 0;
  for (index_t i = 0; i < simd::width<T>; ++i) r += out[i];
  return r;
}

/// FLOPs of one fma_peak_kernel step on one thread.
template <class T>
constexpr double fma_step_flops() {
  return 2.0 * fma_chains * static_cast<double>(simd::width<T>);
}

/// Runs the peak kernel on `threads` threads at once (parallel_for_chunks over one chunk per
/// thread) and returns the sink value.
template <class T>
T run_peak(int threads, index_t iters) {
  std::vector<T> sink(static_cast<std::size_t>(threads), T(0));
  parallel_for_chunks(0, threads, [&](index_t lo, index_t hi) {
    for (index_t t = lo; t < hi; ++t)
      sink[static_cast<std::size_t>(t)] = fma_peak_kernel<T>(iters, T(t));
  });
  T s = 0;
  for (T v : sink) s += v;
  return s;
}

/// Measures the peak in GFLOP/s on `threads` threads: best of 7 runs of ~20 ms each.
template <class T>
double measure_peak_gflops(int threads) {
  const int saved = num_threads();
  set_num_threads(threads);
  const index_t iters = 2'000'000;
  double best = 0;
  volatile T sink = 0;
  for (int rep = 0; rep < 8; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + run_peak<T>(threads, iters);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rep > 0) best = std::max(best, fma_step_flops<T>() * iters * threads / s / 1e9);
  }
  set_num_threads(saved);
  return best;
}

/// The FP32 peak on `threads` threads (GAN_PEAK_GFLOPS or measured once), in GFLOP/s.
inline double peak_gflops_fp32(int threads) {
  static std::map<int, double> cache;
  if (auto it = cache.find(threads); it != cache.end()) return it->second;
  double peak = 0;
  if (const char* env = std::getenv("GAN_PEAK_GFLOPS")) {
    std::vector<double> values;
    std::stringstream ss(env);
    for (std::string item; std::getline(ss, item, ',');) values.push_back(std::stod(item));
    if (!values.empty())
      peak = threads <= static_cast<int>(values.size())
                 ? values[static_cast<std::size_t>(threads - 1)]
                 : values[0] * threads;
  }
  if (peak <= 0) peak = measure_peak_gflops<float>(threads);
  return cache[threads] = peak;
}

/// The peak for T (FP64: half of FP32) on `threads` threads.
template <class T>
double peak_gflops(int threads) {
  return peak_gflops_fp32(threads) * (sizeof(T) == 4 ? 1.0 : 0.5);
}

/// Sets the "GFLOP/s" and "%peak" rate counters for `flops_per_iter` FLOPs per iteration.
template <class T>
void set_flop_counters(benchmark::State& state, double flops_per_iter, int threads) {
  const double gflop = flops_per_iter * static_cast<double>(state.iterations()) / 1e9;
  state.counters["GFLOP/s"] = benchmark::Counter(gflop, benchmark::Counter::kIsRate);
  state.counters["%peak"] =
      benchmark::Counter(100.0 * gflop / peak_gflops<T>(threads), benchmark::Counter::kIsRate);
}

/// Reads the thread count from the benchmark's first argument and applies it.
inline int use_threads(const benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  set_num_threads(threads);
  return threads;
}

/// Thread counts to benchmark: 1 and every core (deduplicated).
inline std::vector<int> thread_counts() {
  const int all = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return all > 1 ? std::vector<int>{1, all} : std::vector<int>{1};
}

/// Common settings: each of `threads` as the first argument ("threads"), then `args`
/// (named `names`; state.range(1) on), wall time, median of 5 repetitions.
inline benchmark::internal::Benchmark* configure(
    benchmark::internal::Benchmark* b, std::vector<int64_t> args = {},
    std::vector<std::string> names = {}, const std::vector<int>& threads = thread_counts()) {
  for (int t : threads) {
    std::vector<int64_t> a = {t};
    a.insert(a.end(), args.begin(), args.end());
    b->Args(a);
  }
  if (names.size() == args.size()) {
    names.insert(names.begin(), "threads");
    b->ArgNames(names);
  }
  return b->UseRealTime()->Repetitions(5)->ReportAggregatesOnly(true)->Unit(
      benchmark::kMillisecond);
}

/// For BENCHMARK(...)->Apply(gan::bench::defaults): configure() with only the thread count.
inline void defaults(benchmark::internal::Benchmark* b) { configure(b); }

}  // namespace gan::bench

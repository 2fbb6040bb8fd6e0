// This machine's FMA peak, measured by our own kernel (bench_util.hpp: fma_chains
// independent FMA chains on xsimd batches per thread), FP32 and FP64, on 1 thread and on
// every core. FLOPs = 2 x FMAs. The other benchmarks divide by these figures for "%peak".

#include "bench_util.hpp"

namespace {

using gan::index_t;

template <class T>
void BM_fma_peak(benchmark::State& state) {
  const int threads = gan::bench::use_threads(state);
  const index_t iters = 200'000;
  for (auto _ : state) benchmark::DoNotOptimize(gan::bench::run_peak<T>(threads, iters));
  const double flops = gan::bench::fma_step_flops<T>() * static_cast<double>(iters) * threads;
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

BENCHMARK_TEMPLATE(BM_fma_peak, float)->Apply(gan::bench::defaults);
BENCHMARK_TEMPLATE(BM_fma_peak, double)->Apply(gan::bench::defaults);

}  // namespace

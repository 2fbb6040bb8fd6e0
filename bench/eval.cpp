// The cost of one sample-quality evaluation (gan/eval/evaluator.hpp) at N = 1000, 2000
// and 5000 images, on 1 thread and on every core: the whole score (classifier pass, FID,
// KID, precision/recall, class statistics) and the classifier pass alone (features), so
// the metrics' share is the difference. The floor at N is computed before the timed loop,
// as it is once per N in a training run. Counters give the floors of the bundled digits at
// that N (the same on every run: they depend on the data, the weights and the split seed).
// Run from the repository root (it reads data/mnist and data/eval).

#include <benchmark/benchmark.h>

#include <memory>

#include "bench_util.hpp"
#include "gan/data/idx_dataset.hpp"
#include "gan/eval/evaluator.hpp"

namespace {

gan::eval::Evaluator& evaluator() {
  static const gan::data::ImageSet digits = gan::data::load_idx_dataset("data/mnist");
  static gan::eval::Evaluator ev("data/eval/digit_classifier.safetensors", digits);
  return ev;
}

// The first n bundled digits in [0, 1] (some in the reference: the cost is the same).
gan::Tensor<float> digits(gan::index_t n) {
  const gan::data::ImageSet set = gan::data::load_idx_dataset("data/mnist");
  std::vector<gan::index_t> indices(static_cast<std::size_t>(n));
  for (gan::index_t i = 0; i < n; ++i) indices[static_cast<std::size_t>(i)] = i;
  gan::Tensor<float> t({n, 1, 28, 28});
  gan::data::copy_batch(set, indices.data(), gan::data::Range::unit, t);
  return t;
}

void BM_EvaluatorScore(benchmark::State& state) {
  gan::bench::use_threads(state);
  const gan::index_t n = state.range(1);
  auto& ev = evaluator();
  const gan::Tensor<float> images = digits(n);
  const gan::eval::Floor& floor = ev.floor(n);
  ev.score(images);  // sizes the buffers
  for (auto _ : state) benchmark::DoNotOptimize(ev.score(images).fid);
  state.counters["fid_floor"] = floor.fid;
  state.counters["kid_floor"] = floor.kid;
  state.counters["precision_floor"] = floor.precision;
  state.counters["recall_floor"] = floor.recall;
}
BENCHMARK(BM_EvaluatorScore)->Apply([](benchmark::internal::Benchmark* b) {
  for (const int64_t n : {1000, 2000, 5000}) gan::bench::configure(b, {n}, {"n"});
});

void BM_EvaluatorFeatures(benchmark::State& state) {
  gan::bench::use_threads(state);
  const gan::index_t n = state.range(1);
  auto& ev = evaluator();
  const gan::Tensor<float> images = digits(n);
  ev.features(images);
  for (auto _ : state) benchmark::DoNotOptimize(ev.features(images).data());
}
BENCHMARK(BM_EvaluatorFeatures)->Apply([](benchmark::internal::Benchmark* b) {
  for (const int64_t n : {1000, 2000, 5000}) gan::bench::configure(b, {n}, {"n"});
});

}  // namespace

// The cost of K discriminators (GMAN, docs/multi_discriminator.md): one dcgan28 training
// step at batch 64 with K = 1, 2, 3 copies of the dcgan28 discriminator (aggregate mean),
// and with K = 3 hardened ones (none, fgsm:0.05, noise:0.1; softmean:1). The four trainers
// step in turn inside one benchmark loop, each step timed on its own, so the ratios to
// K = 1 come from the same run and the same moments of a noisy machine:
//   ms_k1             milliseconds of a K = 1 step (median over the loop's steps)
//   k2_vs_k1 ...      median step time of each configuration over K = 1's
//   ./bench_discriminators
// Expect about 1 + (K - 1) x (D's share of a step): G is stepped once whatever K is.

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "bench_util.hpp"
#include "gan/gan.hpp"

namespace {

using gan::index_t;
constexpr index_t kBatch = 64;

struct Config {
  std::size_t k;
  const char* attacks;
  const char* aggregate;
};

struct Run {
  decltype(gan::nets::dcgan28_generator<float>()) g = gan::nets::dcgan28_generator<float>();
  std::vector<decltype(gan::nets::dcgan28_discriminator<float>())> ds;
  std::unique_ptr<gan::AnyGenerator<float>> eg;
  std::vector<std::unique_ptr<gan::AnyDiscriminator<float>>> eds;
  std::unique_ptr<gan::Trainer<float>> trainer;
  std::vector<double> ms;

  explicit Run(const Config& c) {
    for (std::size_t k = 0; k < c.k; ++k) ds.push_back(gan::nets::dcgan28_discriminator<float>());
    eg = gan::erase_generator_ref(g);
    std::vector<gan::AnyDiscriminator<float>*> all;
    for (auto& d : ds) {
      eds.push_back(gan::erase_discriminator_ref(d));
      all.push_back(eds.back().get());
    }
    gan::TrainerOptions o;
    o.aggregate = gan::parse_aggregate(c.aggregate);
    o.hardening.attacks = gan::parse_attacks(c.attacks);
    o.hardening.lo = 0;
    o.hardening.hi = 1;
    trainer = std::make_unique<gan::Trainer<float>>(*eg, all, o);
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

void discriminators(benchmark::State& state) {
  gan::bench::use_threads(state);
  gan::manual_seed(1);
  const Config configs[] = {{1, "none", "mean"},
                            {2, "none", "mean"},
                            {3, "none", "mean"},
                            {3, "none,fgsm:0.05,noise:0.1", "softmean:1"}};
  std::vector<std::unique_ptr<Run>> runs;
  for (const Config& c : configs) runs.push_back(std::make_unique<Run>(c));
  gan::Tensor<float> real({kBatch, 1, 28, 28});
  gan::Rng(1).fill_uniform(real);
  for (auto& r : runs)
    for (int warm = 0; warm < 2; ++warm) r->trainer->step(real);  // sizes every buffer
  using clock = std::chrono::steady_clock;
  for (auto _ : state) {
    for (auto& r : runs) {
      const auto t0 = clock::now();
      benchmark::DoNotOptimize(r->trainer->step(real));
      r->ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
    }
  }
  const double base = median(runs[0]->ms);
  state.counters["ms_k1"] = base;
  state.counters["k2_vs_k1"] = median(runs[1]->ms) / base;
  state.counters["k3_vs_k1"] = median(runs[2]->ms) / base;
  state.counters["k3_hardened_vs_k1"] = median(runs[3]->ms) / base;
}

}  // namespace

BENCHMARK(discriminators)->Apply(gan::bench::defaults)->MinTime(5.0);

// One full GAN training step (Trainer::step: D on a real and a fake batch, then G, both
// with Adam) at batch 64, on 1 and every thread, reporting images/s and GFLOP/s:
//   dcgan28      the benchmark reference net with BCE on probabilities, exactly the
//                network, loss and optimiser of bench/torch_dcgan28.py train
//                (10.29 GFLOP per step: its FLOP count, 2 x MACs of the conv and dense
//                layers in all three directions);
//   dcgan28_bn   the generator with BatchNorm2d(64) (that of mnist_gan's default model)
//                against the discriminator without the final Sigmoid, trained with BCE on
//                logits (dcgan28_logits_discriminator).
// Run beside PyTorch, in the same session (scripts/bench.sh does both):
//   ./bench_train_step
//   /usr/bin/python3 bench/torch_dcgan28.py train --threads 2

#include <vector>

#include "bench_util.hpp"
#include "gan/gan.hpp"

namespace {

using gan::index_t;
constexpr index_t kBatch = 64;
// FLOPs of one dcgan28 training step at batch 64, as torch_dcgan28.py counts them.
constexpr double kStepFlops = 10.29e9;

template <class G, class D>
void run_steps(benchmark::State& state, G& g, D& d) {
  const int threads = gan::bench::use_threads(state);
  gan::Trainer trainer(g, d);
  gan::Tensor<float> real({kBatch, 1, 28, 28});
  gan::Rng(1).fill_uniform(real);
  for (int warm = 0; warm < 2; ++warm) trainer.step(real);  // sizes every buffer
  for (auto _ : state) {
    const gan::StepStats s = trainer.step(real);
    benchmark::DoNotOptimize(s);
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(kBatch) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  gan::bench::set_flop_counters<float>(state, kStepFlops, threads);
}

void dcgan28(benchmark::State& state) {
  gan::manual_seed(1);
  auto g = gan::nets::dcgan28_generator<float>();
  auto d = gan::nets::dcgan28_discriminator<float>();
  run_steps(state, g, d);
}

void dcgan28_bn(benchmark::State& state) {
  gan::manual_seed(1);
  auto g = gan::nets::dcgan28_bn_generator<float>();
  auto d = gan::nets::dcgan28_logits_discriminator<float>();
  run_steps(state, g, d);
}

}  // namespace

BENCHMARK(dcgan28)->Apply(gan::bench::defaults)->MinTime(2.0);
BENCHMARK(dcgan28_bn)->Apply(gan::bench::defaults)->MinTime(2.0);

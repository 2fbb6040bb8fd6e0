// One full GAN training step (Trainer::step: D on a real and a fake batch, then G, both
// with Adam) at batch 64, on 1 and every thread, reporting images/s and GFLOP/s:
//   dcgan28      the benchmark reference net with BCE on probabilities, exactly the
//                network, loss and optimiser of bench/torch_dcgan28.py train
//                (10.29 GFLOP per step: its FLOP count, 2 x MACs of the conv and dense
//                layers in all three directions);
//   dcgan28_bn   gan_train's default model (BatchNorm in G, probability D);
//   dcgan28_bn_recipe  the same G with spectral norm, hinge, DiffAugment and an EMA;
//   dcgan32_rgb  DCGAN-32 on 3x32x32 images, width 64; dcgan64_rgb DCGAN-64 (PyTorch's
//                DCGAN example: ngf = ndf = 64, 3x64x64): images/s only, beside
//                bench/torch_dcgan.py's same nets.
// Run beside PyTorch, in the same session (scripts/bench.sh does both):
//   ./bench_train_step
//   /usr/bin/python3 bench/torch_dcgan28.py train --threads 2

#include <vector>

#include "bench_util.hpp"
#include "gan/gan.hpp"
#include "gan/models/dcgan.hpp"

namespace {

using gan::index_t;
constexpr index_t kBatch = 64;
// FLOPs of one dcgan28 training step at batch 64, as torch_dcgan28.py counts them.
constexpr double kStepFlops = 10.29e9;

template <class G, class D>
void run_steps(benchmark::State& state, G& g, D& d, double step_flops = kStepFlops,
               gan::Shape image = {1, 28, 28}, const gan::TrainerOptions& options = {},
               gan::AnyGenerator<float>* ema = nullptr) {
  const int threads = gan::bench::use_threads(state);
  gan::Trainer trainer(g, d, options);
  if (ema) trainer.set_ema(*ema);
  gan::Tensor<float> real({kBatch, image[0], image[1], image[2]});
  gan::Rng(1).fill_uniform(real);
  for (int warm = 0; warm < 2; ++warm) trainer.step(real);  // sizes every buffer
  for (auto _ : state) {
    const gan::StepStats s = trainer.step(real);
    benchmark::DoNotOptimize(s);
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(kBatch) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  if (step_flops > 0) gan::bench::set_flop_counters<float>(state, step_flops, threads);
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
  auto d = gan::nets::dcgan28_discriminator<float>();
  run_steps(state, g, d);
}

// dcgan28_bn with the whole recipe: spectral norm in D (on logits), hinge loss, DiffAugment
// "color,translation,cutout" on both of D's inputs and G's, and an EMA of G; its ratio to
// dcgan28_bn is the recipe's overhead per step.
void dcgan28_bn_recipe(benchmark::State& state) {
  gan::manual_seed(1);
  auto g = gan::nets::dcgan28_bn_generator<float>();
  auto shadow = gan::nets::dcgan28_bn_generator<float>();
  auto d = gan::nets::dcgan28_sn_logits_discriminator<float>();
  auto erased_shadow = gan::erase_generator_ref(shadow);
  gan::TrainerOptions o;
  o.loss = gan::Loss::hinge;
  o.augment = gan::AugmentPolicy::parse("color,translation,cutout");
  run_steps(state, g, d, 0, {1, 28, 28}, o, erased_shadow.get());
}

void dcgan32_rgb(benchmark::State& state) {
  gan::manual_seed(1);
  auto g = gan::nets::dcgan32_generator<float>(100, 3, 64);
  auto d = gan::nets::dcgan32_discriminator<float>(3, 64);
  run_steps(state, g, d, 0, {3, 32, 32});
}

void dcgan64_rgb(benchmark::State& state) {
  gan::manual_seed(1);
  auto g = gan::nets::dcgan64_generator<float>(100, 3, 64);
  auto d = gan::nets::dcgan64_discriminator<float>(3, 64);
  run_steps(state, g, d, 0, {3, 64, 64});
}

}  // namespace

BENCHMARK(dcgan28)->Apply(gan::bench::defaults)->MinTime(2.0);
BENCHMARK(dcgan28_bn)->Apply(gan::bench::defaults)->MinTime(2.0);
BENCHMARK(dcgan28_bn_recipe)->Apply(gan::bench::defaults)->MinTime(2.0);
BENCHMARK(dcgan32_rgb)->Apply(gan::bench::defaults)->MinTime(2.0);
BENCHMARK(dcgan64_rgb)->Apply(gan::bench::defaults)->MinTime(2.0);

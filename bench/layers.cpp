// Every layer of dcgan28 (and the BatchNorm2d of dcgan28-bn) alone at batch 64: one
// forward and one backward per iteration, on 1 and every thread. It shows where a training
// step's time goes and which layers gain from the second core (compare threads:1 with
// threads:2 in the same run).
//   ./bench_layers --benchmark_filter=convT

#include "bench_util.hpp"
#include "gan/gan.hpp"

namespace {

using gan::index_t;
constexpr index_t kBatch = 64;

template <class Layer>
void forward_backward(benchmark::State& state, Layer layer, gan::Shape in) {
  gan::bench::use_threads(state);
  gan::Tensor<float> x(in);
  gan::Rng(1).fill_uniform(x);
  gan::Tensor<float> dy(layer.forward(x).shape());
  gan::Rng(2).fill_uniform(dy);
  layer.backward(dy);  // sizes every buffer
  for (auto _ : state) {
    benchmark::DoNotOptimize(layer.forward(x).data());
    benchmark::DoNotOptimize(layer.backward(dy).data());
  }
}

template <class Layer>
void add(const char* name, Layer layer, gan::Shape in) {
  gan::bench::defaults(benchmark::RegisterBenchmark(
      name, [layer, in](benchmark::State& s) { forward_backward(s, layer, in); }));
}

const int registered = [] {
  add("G.dense_100to6272", gan::Dense<float>(100, 6272), {kBatch, 100});
  add("G.leaky_relu_6272", gan::LeakyReLU<float>(0.2f), {kBatch, 6272});
  add("G.reshape_128x7x7", gan::Reshape<float>({128, 7, 7}), {kBatch, 6272});
  add("G.convT_128to64", gan::ConvTranspose2d<float>(128, 64, 4, 2, 1), {kBatch, 128, 7, 7});
  add("G.batch_norm_64", gan::BatchNorm2d<float>(64), {kBatch, 64, 14, 14});
  add("G.leaky_relu_64x14x14", gan::LeakyReLU<float>(0.2f), {kBatch, 64, 14, 14});
  add("G.convT_64to1", gan::ConvTranspose2d<float>(64, 1, 4, 2, 1), {kBatch, 64, 14, 14});
  add("G.sigmoid_1x28x28", gan::Sigmoid<float>(), {kBatch, 1, 28, 28});
  add("D.conv_1to64", gan::Conv2d<float>(1, 64, 4, 2, 1), {kBatch, 1, 28, 28});
  add("D.leaky_relu_64x14x14", gan::LeakyReLU<float>(0.2f), {kBatch, 64, 14, 14});
  add("D.conv_64to128", gan::Conv2d<float>(64, 128, 4, 2, 1), {kBatch, 64, 14, 14});
  add("D.leaky_relu_128x7x7", gan::LeakyReLU<float>(0.2f), {kBatch, 128, 7, 7});
  add("D.flatten_6272", gan::Flatten<float>(), {kBatch, 128, 7, 7});
  add("D.dense_6272to1", gan::Dense<float>(6272, 1), {kBatch, 6272});
  return 0;
}();

}  // namespace

// Conv kernels on the four conv layers of dcgan28 at batch 64, every direction (forward,
// backward-data, backward-weights with the bias gradient), as the layers call them
// (gan/layers/conv2d.hpp, conv_transpose2d.hpp): ours on 1 and every thread, and the naive
// direct-loop reference of the tests (tests/kernels/naive_conv.hpp, double accumulation,
// 1 thread, one iteration per repetition since it is slow) beside it.
//   ConvT 128->64 on 7x7    G.convT1      Conv 1->64 on 28x28     D.conv1
//   ConvT 64->1 on 14x14    G.convT2      Conv 64->128 on 14x14   D.conv2
// FLOPs = 2 x MACs, MACs as torch_dcgan28.py's conv_macs: N*C_out*H_out*W_out*C_in*K*K for a
// convolution, the same count of the equivalent convolution for a transposed one, in every
// direction. With libdnnl-dev installed, oneDNN runs every case too (".../onednn", see
// onednn.hpp), so each of our figures has the peer's beside it from the same run.
// Run: GAN_PEAK_GFLOPS=246,487 ./bench_conv (see bench_util.hpp), beside
// /usr/bin/python3 bench/torch_dcgan28.py layers --threads 2.

#include <random>
#include <string>
#include <vector>

#include "../tests/kernels/naive_conv.hpp"
#include "bench_util.hpp"
#include "gan/core/tensor.hpp"
#include "gan/kernels/conv2d.hpp"
#ifdef GAN_HAVE_ONEDNN
#include "onednn.hpp"
#endif

namespace {

using gan::index_t;
using gan::kernels::Conv2dGeometry;

struct LayerSpec {
  const char* name;
  bool transposed;
  index_t in_ch, out_ch, h, w;  // the layer's own input [64, in_ch, h, w]
};

const LayerSpec kLayers[] = {
    {"convT_128to64_7x7", true, 128, 64, 7, 7},
    {"convT_64to1_14x14", true, 64, 1, 14, 14},
    {"conv_1to64_28x28", false, 1, 64, 28, 28},
    {"conv_64to128_14x14", false, 64, 128, 14, 14},
};
constexpr index_t kBatch = 64, kKernel = 4, kStride = 2, kPad = 1;

enum class Direction { forward, backward_data, backward_weights };
const char* direction_name(Direction d) {
  return d == Direction::forward         ? "fwd"
         : d == Direction::backward_data ? "bwd_data"
                                         : "bwd_weights";
}

// The convolution whose kernels the layer runs: its own for Conv2d, for ConvTranspose2d the
// one that maps the layer's output back to its input (C_in = out_ch, C_out = in_ch).
Conv2dGeometry geometry(const LayerSpec& l) {
  if (!l.transposed)
    return Conv2dGeometry(kBatch, l.in_ch, l.h, l.w, l.out_ch, kKernel, kStride, kPad);
  const index_t h_out = (l.h - 1) * kStride - 2 * kPad + kKernel;
  const index_t w_out = (l.w - 1) * kStride - 2 * kPad + kKernel;
  return Conv2dGeometry(kBatch, l.out_ch, h_out, w_out, l.in_ch, kKernel, kStride, kPad);
}

double flops(const LayerSpec& l) {
  const Conv2dGeometry g = geometry(l);
  return 2.0 * static_cast<double>(g.N * g.C_out * g.out_plane() * g.C_in * g.K * g.K);
}

// Every array of one layer: the convolution's x ("big" side) and y ("small" side), their
// gradients, weights, bias and gradients, random in [-1, 1].
template <class T>
struct Arrays {
  Conv2dGeometry g;
  std::vector<T> cx, cy, dcx, dcy, w, b, dw, db;
  explicit Arrays(const LayerSpec& l) : g(geometry(l)) {
    std::mt19937 rng(1);
    std::uniform_real_distribution<T> u(T(-1), T(1));
    const auto fill = [&](std::vector<T>& v, index_t n) {
      v.resize(static_cast<std::size_t>(n));
      for (auto& e : v) e = u(rng);
    };
    fill(cx, g.x_size());
    fill(dcx, g.x_size());
    fill(cy, g.y_size());
    fill(dcy, g.y_size());
    fill(w, g.w_size());
    fill(dw, g.w_size());
    fill(b, l.out_ch);
    fill(db, l.out_ch);
  }
};

// One direction of one layer through our kernels, exactly as the layer calls them.
template <class T>
void run_ours(const LayerSpec& l, Direction d, Arrays<T>& a, T* ws) {
  namespace k = gan::kernels;
  const Conv2dGeometry& g = a.g;
  if (!l.transposed) {  // x = cx, y = cy
    if (d == Direction::forward)
      k::conv2d_forward(g, a.cx.data(), a.w.data(), a.b.data(), a.cy.data(), ws);
    if (d == Direction::backward_data)
      k::conv2d_backward_data(g, a.dcy.data(), a.w.data(), a.dcx.data(), ws);
    if (d == Direction::backward_weights)
      k::conv2d_backward_weights(g, a.cx.data(), a.dcy.data(), a.dw.data(), a.db.data(), ws);
    return;
  }
  // Transposed: the layer's x is the convolution's y (cy), the layer's y is cx.
  if (d == Direction::forward) {
    k::conv2d_backward_data(g, a.cy.data(), a.w.data(), a.cx.data(), ws);
    k::add_channel_bias(g.N, l.out_ch, g.in_plane(), a.b.data(), a.cx.data());
  }
  if (d == Direction::backward_data)
    k::conv2d_forward<T>(g, a.dcx.data(), a.w.data(), nullptr, a.dcy.data(), ws);
  if (d == Direction::backward_weights) {
    k::conv2d_backward_weights<T>(g, a.dcx.data(), a.cy.data(), a.dw.data(), nullptr, ws);
    k::conv2d_backward_bias(g.N, l.out_ch, g.in_plane(), a.dcx.data(), a.db.data());
  }
}

// The same through the naive reference (values and magnitudes in double).
template <class T>
double run_naive(const LayerSpec& l, Direction d, const Arrays<T>& a) {
  const Conv2dGeometry& g = a.g;
  const naive::ConvSizes s{g.N, g.C_in, g.H, g.W, g.C_out, g.K, g.stride, g.pad};
  const bool fwd_conv = (d == Direction::forward) != l.transposed;
  if (d == Direction::backward_weights)
    return naive::conv2d_backward_weights(s, l.transposed ? a.dcx.data() : a.cx.data(),
                                          l.transposed ? a.cy.data() : a.dcy.data(), a.dw.data(),
                                          a.db.data())
        .dw.value[0];
  if (fwd_conv)
    return naive::conv2d_forward<T>(s, a.cx.data(), a.w.data(), l.transposed ? nullptr : a.b.data())
        .value[0];
  return naive::conv2d_backward_data(s, a.cy.data(), a.w.data()).value[0];
}

template <class T>
void BM_conv(benchmark::State& state, LayerSpec l, Direction d, bool naive_ref) {
  const int threads = gan::bench::use_threads(state);
  Arrays<T> a(l);
  gan::Tensor<T> ws(gan::Shape{std::max<index_t>(a.g.template workspace_size<T>(), 1)});
  for (auto _ : state) {
    if (naive_ref) {
      benchmark::DoNotOptimize(run_naive(l, d, a));
    } else {
      run_ours(l, d, a, ws.data());
    }
    benchmark::ClobberMemory();
  }
  gan::bench::set_flop_counters<T>(state, flops(l), threads);
}

#ifdef GAN_HAVE_ONEDNN
// The same layer and direction through oneDNN (onednn.hpp), for the ratio in one run.
void BM_onednn(benchmark::State& state, LayerSpec l, Direction d) {
  const int threads = gan::bench::use_threads(state);
  gan::bench::OneDnnConv conv(l.transposed, kBatch, l.in_ch, l.out_ch, l.h, l.w, kKernel, kStride,
                              kPad, static_cast<int>(d));
  conv.run();  // oneDNN's first execution sets up its scratchpad
  for (auto _ : state) conv.run();
  gan::bench::set_flop_counters<float>(state, flops(l), threads);
}
#endif

const bool registered = [] {
  for (const LayerSpec& l : kLayers) {
    for (Direction d :
         {Direction::forward, Direction::backward_data, Direction::backward_weights}) {
      const std::string base = std::string("conv<float>/") + l.name + "/" + direction_name(d) + "/";
      gan::bench::configure(
          benchmark::RegisterBenchmark((base + "ours").c_str(), BM_conv<float>, l, d, false));
#ifdef GAN_HAVE_ONEDNN
      gan::bench::configure(
          benchmark::RegisterBenchmark((base + "onednn").c_str(), BM_onednn, l, d));
#endif
      gan::bench::configure(
          benchmark::RegisterBenchmark((base + "naive").c_str(), BM_conv<float>, l, d, true), {},
          {}, {1})
          ->Iterations(1)
          ->Repetitions(3);
    }
  }
  return true;
}();

}  // namespace

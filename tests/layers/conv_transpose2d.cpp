#include "gan/layers/conv_transpose2d.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/layers/init.hpp"
#include "gan/testing/layer_contract.hpp"
#include "support.hpp"

static_assert(gan::is_layer_v<gan::ConvTranspose2d<float>> &&
                  gan::is_layer_v<gan::ConvTranspose2d<double>>,
              "ConvTranspose2d must meet the layer interface");

namespace {

using gan::index_t;
using gan::Tensor;
using test_support::random_tensor;
using test_support::same_bits;

struct Config {
  index_t n, c_in, h, w, c_out, k, stride, pad;
  bool bias;
};

std::string describe(const Config& c) {
  return "x [" + std::to_string(c.n) + ", " + std::to_string(c.c_in) + ", " + std::to_string(c.h) +
         ", " + std::to_string(c.w) + "] -> " + std::to_string(c.c_out) +
         ", k=" + std::to_string(c.k) + ", s=" + std::to_string(c.stride) +
         ", p=" + std::to_string(c.pad) + (c.bias ? "" : ", no bias");
}

// Transposed convolution from its definition (PyTorch's ConvTranspose2d docs; Dumoulin &
// Visin 2016, section 4): every input pixel x[n, ci, ih, iw] scatters its weighted kernel
// w[ci, co, :, :] into the output at (ih*stride - pad + ki, iw*stride - pad + kj); what
// falls outside [0, H_out) x [0, W_out) is cropped by the padding. Accumulates in double
// and returns, per output element, the sum of |terms| as the scale of rounding errors.
struct Reference {
  std::vector<double> value, magnitude;
};

template <class T>
Reference transposed_conv(const Config& c, const T* x, const T* w, const T* b) {
  const index_t ho = (c.h - 1) * c.stride - 2 * c.pad + c.k;
  const index_t wo = (c.w - 1) * c.stride - 2 * c.pad + c.k;
  const std::size_t size = static_cast<std::size_t>(c.n * c.c_out * ho * wo);
  Reference r{std::vector<double>(size, 0.0), std::vector<double>(size, 0.0)};
  auto out = [&](index_t n, index_t co, index_t oh, index_t ow) {
    return static_cast<std::size_t>(((n * c.c_out + co) * ho + oh) * wo + ow);
  };
  for (index_t n = 0; n < c.n; ++n)
    for (index_t ci = 0; ci < c.c_in; ++ci)
      for (index_t ih = 0; ih < c.h; ++ih)
        for (index_t iw = 0; iw < c.w; ++iw)
          for (index_t co = 0; co < c.c_out; ++co)
            for (index_t ki = 0; ki < c.k; ++ki)
              for (index_t kj = 0; kj < c.k; ++kj) {
                const index_t oh = ih * c.stride - c.pad + ki;
                const index_t ow = iw * c.stride - c.pad + kj;
                if (oh < 0 || oh >= ho || ow < 0 || ow >= wo) continue;
                const double t =
                    static_cast<double>(x[((n * c.c_in + ci) * c.h + ih) * c.w + iw]) *
                    static_cast<double>(w[((ci * c.c_out + co) * c.k + ki) * c.k + kj]);
                r.value[out(n, co, oh, ow)] += t;
                r.magnitude[out(n, co, oh, ow)] += std::abs(t);
              }
  if (b)
    for (index_t n = 0; n < c.n; ++n)
      for (index_t co = 0; co < c.c_out; ++co)
        for (index_t p = 0; p < ho * wo; ++p) {
          r.value[out(n, co, 0, 0) + static_cast<std::size_t>(p)] += static_cast<double>(b[co]);
          r.magnitude[out(n, co, 0, 0) + static_cast<std::size_t>(p)] +=
              std::abs(static_cast<double>(b[co]));
        }
  return r;
}

}  // namespace

TEST_CASE("ConvTranspose2d meets the layer contract, gradients included",
          "[layers][conv_transpose2d][contract]") {
  // Batch > 1, odd and non-square images, stride 1/2/3, padding 0/1/2, kernel 1/3/4/5,
  // several channels, with and without bias; 1x1 stride 1 is the pointwise path.
  const std::vector<Config> configs = {
      {2, 3, 4, 3, 2, 3, 1, 1, true},  {2, 2, 3, 4, 3, 4, 2, 1, true},
      {2, 2, 3, 3, 2, 5, 1, 2, false}, {3, 3, 2, 3, 2, 1, 1, 0, true},
      {1, 2, 3, 2, 3, 3, 2, 0, false}, {2, 1, 4, 3, 2, 1, 2, 0, true},
      {2, 2, 3, 3, 2, 3, 3, 2, true},
  };
  gan::Rng rng(21);
  for (const Config& c : configs) {
    INFO(describe(c));
    const gan::Shape shape{c.n, c.c_in, c.h, c.w};
    gan::ConvTranspose2d<double> convt(c.c_in, c.c_out, c.k, c.stride, c.pad, c.bias);
    const auto r =
        gan::testing::check_layer_contract(convt, random_tensor<double>(shape, rng), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    REQUIRE(r.gradients_checked);
    REQUIRE(convt.parameters().size() == (c.bias ? 2u : 1u));
    // In float: everything but the gradient check, which needs double.
    gan::ConvTranspose2d<float> convt_f(c.c_in, c.c_out, c.k, c.stride, c.pad, c.bias);
    const auto rf =
        gan::testing::check_layer_contract(convt_f, random_tensor<float>(shape, rng), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEMPLATE_TEST_CASE("ConvTranspose2d forward matches the scatter definition",
                   "[layers][conv_transpose2d]", float, double) {
  const std::vector<Config> configs = {
      {2, 128, 7, 7, 64, 4, 2, 1, true},  // DCGAN-28 generator, 7 -> 14
      {2, 64, 14, 14, 1, 4, 2, 1, true},  // DCGAN-28 generator, 14 -> 28
      {3, 2, 5, 3, 3, 3, 2, 1, true},    {1, 3, 4, 6, 2, 5, 1, 2, false},
      {2, 2, 3, 3, 2, 3, 3, 0, true},    {3, 4, 3, 2, 5, 1, 1, 0, true},
  };
  gan::Rng rng(8);
  for (const Config& c : configs) {
    INFO(describe(c));
    gan::ConvTranspose2d<TestType> convt(c.c_in, c.c_out, c.k, c.stride, c.pad, c.bias);
    auto params = convt.parameters();
    // Random biases too (the default init would do, but make every term visible).
    for (auto& p : params) rng.fill_uniform(p.value, -1.0, 1.0);
    const Tensor<TestType> x = random_tensor<TestType>({c.n, c.c_in, c.h, c.w}, rng);
    const Tensor<TestType>& y = convt.forward(x);
    const Reference ref = transposed_conv(c, x.data(), params[0].value.data(),
                                          c.bias ? params[1].value.data() : nullptr);
    REQUIRE(y.size() == static_cast<index_t>(ref.value.size()));
    // Worst-case summation bound (tests/kernels/conv2d.cpp explains it): each output
    // element sums at most in_ch * k * k products plus the bias.
    const double tol = 2.0 * (c.c_in * c.k * c.k + 2) * std::numeric_limits<TestType>::epsilon();
    for (index_t i = 0; i < y.size(); ++i) {
      const auto j = static_cast<std::size_t>(i);
      REQUIRE(std::abs(y[i] - ref.value[j]) <= tol * ref.magnitude[j]);
    }
  }
}

TEST_CASE("ConvTranspose2d output shapes", "[layers][conv_transpose2d]") {
  gan::ConvTranspose2d<float> g1(128, 64, 4, 2, 1);
  REQUIRE(g1.output_shape({64, 128, 7, 7}) == gan::Shape{64, 64, 14, 14});
  gan::ConvTranspose2d<float> g2(64, 1, 4, 2, 1);
  REQUIRE(g2.output_shape({64, 64, 14, 14}) == gan::Shape{64, 1, 28, 28});
  // (H - 1) * s - 2p + k on a non-square image: (5-1)*3 - 2 + 3 = 13, (2-1)*3 - 2 + 3 = 4.
  gan::ConvTranspose2d<float> odd(2, 3, 3, 3, 1);
  REQUIRE(odd.output_shape({1, 2, 5, 2}) == gan::Shape{1, 3, 13, 4});
}

TEMPLATE_TEST_CASE("ConvTranspose2d parameters: names, shapes and PyTorch default init",
                   "[layers][conv_transpose2d]", float, double) {
  gan::manual_seed(7);
  gan::ConvTranspose2d<TestType> convt(5, 3, 4, 2, 1);
  auto params = convt.parameters();
  REQUIRE(params.size() == 2);
  REQUIRE(params[0].name == "weight");
  REQUIRE(params[0].value.shape() == gan::Shape{5, 3, 4, 4});  // [in_ch, out_ch, k, k]
  REQUIRE(params[0].grad.shape() == gan::Shape{5, 3, 4, 4});
  REQUIRE(params[1].name == "bias");
  REQUIRE(params[1].value.shape() == gan::Shape{3});
  // PyTorch's fan_in for ConvTranspose2d is weight.size(1) * k * k = out_ch * 16 = 48.
  // The largest of 240 weights comes near that bound; in_ch * 16 = 80 would cap it at
  // 0.11 instead of 0.14.
  const double bound = 1.0 / std::sqrt(48.0);
  double largest = 0;
  for (TestType v : params[0].value) {
    REQUIRE(std::abs(v) <= bound);
    largest = std::max(largest, std::abs(static_cast<double>(v)));
  }
  REQUIRE(largest > 0.9 * bound);
  REQUIRE(params[0].value[0] != params[0].value[1]);
  for (TestType v : params[1].value) REQUIRE(std::abs(v) <= bound);
  REQUIRE(params[1].value[0] != params[1].value[1]);
  for (auto& p : params)
    for (TestType g : p.grad) REQUIRE(g == 0);

  gan::ConvTranspose2d<TestType> no_bias(5, 3, 4, 2, 1, false);
  REQUIRE(no_bias.parameters().size() == 1);
  REQUIRE(no_bias.name() == "ConvTranspose2d(5->3, k=4, s=2, p=1, bias=false)");
}

TEST_CASE("ConvTranspose2d names itself and rejects bad shapes with the expected and actual shape",
          "[layers][conv_transpose2d][errors]") {
  gan::ConvTranspose2d<float> convt(128, 64, 4, 2, 1);
  REQUIRE(convt.name() == "ConvTranspose2d(128->64, k=4, s=2, p=1)");
  const auto name = Catch::Contains("ConvTranspose2d(128->64, k=4, s=2, p=1)");

  const Tensor<float> wrong_channels({64, 64, 7, 7});
  REQUIRE_THROWS_AS(convt.forward(wrong_channels), gan::Error);
  REQUIRE_THROWS_WITH(convt.forward(wrong_channels), name && Catch::Contains("[N, 128, H, W]") &&
                                                         Catch::Contains("[64, 64, 7, 7]"));
  REQUIRE_THROWS_WITH(convt.output_shape({64, 6272}),
                      name && Catch::Contains("[N, 128, H, W]") && Catch::Contains("[64, 6272]"));

  // k=3, s=1, p=3: H_out = H - 1 - 6 + 3 >= 1 needs H >= 5.
  gan::ConvTranspose2d<float> cropping(2, 2, 3, 1, 3);
  REQUIRE_THROWS_WITH(cropping.output_shape({1, 2, 4, 9}),
                      Catch::Contains("ConvTranspose2d(2->2, k=3, s=1, p=3)") &&
                          Catch::Contains("[N, 2, H >= 5, W >= 5]") &&
                          Catch::Contains("[1, 2, 4, 9]"));
  REQUIRE(cropping.output_shape({1, 2, 5, 5}) == gan::Shape{1, 2, 1, 1});

  REQUIRE_THROWS_WITH(convt.backward(Tensor<float>({2, 64, 14, 14})),
                      name && Catch::Contains("before forward"));
  const Tensor<float> x({2, 128, 7, 7});
  convt.forward(x);
  REQUIRE_THROWS_WITH(
      convt.backward(Tensor<float>({2, 64, 7, 7})),
      name && Catch::Contains("[2, 64, 14, 14]") && Catch::Contains("[2, 64, 7, 7]"));
}

TEST_CASE("ConvTranspose2d rejects bad options", "[layers][conv_transpose2d][errors]") {
  REQUIRE_THROWS_WITH(gan::ConvTranspose2d<float>(0, 4, 3), Catch::Contains("in_channels"));
  REQUIRE_THROWS_WITH(gan::ConvTranspose2d<float>(1, 0, 3), Catch::Contains("out_channels"));
  REQUIRE_THROWS_WITH(gan::ConvTranspose2d<float>(1, 4, 0), Catch::Contains("kernel_size"));
  REQUIRE_THROWS_WITH(gan::ConvTranspose2d<float>(1, 4, 3, 0), Catch::Contains("stride"));
  REQUIRE_THROWS_WITH(
      gan::ConvTranspose2d<float>(1, 4, 3, 1, -1),
      Catch::Contains("padding") && Catch::Contains("ConvTranspose2d(1->4, k=3, s=1, p=-1)"));
}

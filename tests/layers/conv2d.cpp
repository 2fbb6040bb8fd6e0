#include "gan/layers/conv2d.hpp"

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
#include "kernels/naive_conv.hpp"
#include "support.hpp"

static_assert(gan::is_layer_v<gan::Conv2d<float>> && gan::is_layer_v<gan::Conv2d<double>>,
              "Conv2d must meet the layer interface");

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

}  // namespace

TEST_CASE("Conv2d meets the layer contract, gradients included", "[layers][conv2d][contract]") {
  // Batch > 1, odd and non-square images, stride 1/2, padding 0/1/2, kernel 1/3/4/5,
  // several channels, with and without bias; 1x1 stride 1 is the pointwise path.
  const std::vector<Config> configs = {
      {2, 3, 7, 5, 2, 3, 1, 1, true},  {3, 2, 6, 7, 3, 4, 2, 1, true},
      {2, 2, 5, 5, 2, 5, 1, 2, false}, {2, 3, 4, 6, 2, 1, 1, 0, true},
      {1, 2, 7, 7, 3, 3, 2, 0, false}, {2, 1, 5, 4, 2, 1, 2, 2, true},
      {2, 2, 9, 6, 2, 4, 2, 2, true},
  };
  gan::Rng rng(11);
  for (const Config& c : configs) {
    INFO(describe(c));
    const gan::Shape shape{c.n, c.c_in, c.h, c.w};
    gan::Conv2d<double> conv(c.c_in, c.c_out, c.k, c.stride, c.pad, c.bias);
    const auto r = gan::testing::check_layer_contract(conv, random_tensor<double>(shape, rng), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    REQUIRE(r.gradients_checked);
    REQUIRE(conv.parameters().size() == (c.bias ? 2u : 1u));
    // In float: everything but the gradient check, which needs double.
    gan::Conv2d<float> conv_f(c.c_in, c.c_out, c.k, c.stride, c.pad, c.bias);
    const auto rf =
        gan::testing::check_layer_contract(conv_f, random_tensor<float>(shape, rng), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEMPLATE_TEST_CASE("Conv2d forward matches the direct-loop convolution", "[layers][conv2d]", float,
                   double) {
  gan::Rng rng(5);
  for (const Config& c :
       {Config{3, 2, 7, 5, 3, 3, 2, 1, true}, Config{2, 1, 28, 28, 8, 4, 2, 1, true},
        Config{2, 3, 6, 6, 2, 5, 1, 2, false}}) {
    INFO(describe(c));
    gan::Conv2d<TestType> conv(c.c_in, c.c_out, c.k, c.stride, c.pad, c.bias);
    const Tensor<TestType> x = random_tensor<TestType>({c.n, c.c_in, c.h, c.w}, rng);
    const Tensor<TestType>& y = conv.forward(x);
    const naive::ConvSizes s{c.n, c.c_in, c.h, c.w, c.c_out, c.k, c.stride, c.pad};
    const naive::Result ref = naive::conv2d_forward(
        s, x.data(), conv.parameters()[0].value.data(),
        c.bias ? conv.parameters()[1].value.data() : static_cast<const TestType*>(nullptr));
    REQUIRE(y.shape() == gan::Shape{c.n, c.c_out, s.h_out(), s.w_out()});
    // Worst-case summation bound (tests/kernels/conv2d.cpp explains it).
    const double tol = 2.0 * (c.c_in * c.k * c.k + 2) * std::numeric_limits<TestType>::epsilon();
    for (index_t i = 0; i < y.size(); ++i)
      REQUIRE(std::abs(y[i] - ref.value[i]) <= tol * ref.magnitude[i]);
  }
}

TEST_CASE("Conv2d output shapes", "[layers][conv2d]") {
  gan::Conv2d<float> d1(1, 64, 4, 2, 1);
  REQUIRE(d1.output_shape({64, 1, 28, 28}) == gan::Shape{64, 64, 14, 14});
  gan::Conv2d<float> d2(64, 128, 4, 2, 1);
  REQUIRE(d2.output_shape({64, 64, 14, 14}) == gan::Shape{64, 128, 7, 7});
  gan::Conv2d<float> odd(3, 2, 3, 2, 0);
  REQUIRE(odd.output_shape({5, 3, 7, 5}) == gan::Shape{5, 2, 3, 2});
  gan::Conv2d<float> tight(2, 2, 5, 1, 1);  // 3 + 2 == 5: a 1x1 output
  REQUIRE(tight.output_shape({1, 2, 3, 3}) == gan::Shape{1, 2, 1, 1});
}

TEMPLATE_TEST_CASE("Conv2d parameters: names, shapes and PyTorch default init", "[layers][conv2d]",
                   float, double) {
  gan::manual_seed(123);
  gan::Conv2d<TestType> conv(3, 5, 4, 2, 1);
  auto params = conv.parameters();
  REQUIRE(params.size() == 2);
  REQUIRE(params[0].name == "weight");
  REQUIRE(params[0].value.shape() == gan::Shape{5, 3, 4, 4});
  REQUIRE(params[0].grad.shape() == gan::Shape{5, 3, 4, 4});
  REQUIRE(params[1].name == "bias");
  REQUIRE(params[1].value.shape() == gan::Shape{5});
  REQUIRE(params[1].grad.shape() == gan::Shape{5});
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_ch * k * k = 48. 240 weights
  // spread over the whole interval: the largest is near the bound, which a wrong fan_in
  // (e.g. out_ch * k * k = 80, bound 0.11 instead of 0.14) would not reach.
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

  // Reseeding reproduces the same weights; without a bias there is only "weight".
  gan::manual_seed(123);
  gan::Conv2d<TestType> again(3, 5, 4, 2, 1);
  REQUIRE(same_bits(again.parameters()[0].value, params[0].value));
  gan::Conv2d<TestType> no_bias(3, 5, 4, 2, 1, false);
  REQUIRE(no_bias.parameters().size() == 1);
  REQUIRE(no_bias.parameters()[0].name == "weight");
  REQUIRE(no_bias.name() == "Conv2d(3->5, k=4, s=2, p=1, bias=false)");
}

TEST_CASE("Conv2d names itself and rejects bad shapes with the expected and actual shape",
          "[layers][conv2d][errors]") {
  gan::Conv2d<float> conv(1, 64, 4, 2, 1);
  REQUIRE(conv.name() == "Conv2d(1->64, k=4, s=2, p=1)");
  const auto name = Catch::Contains("Conv2d(1->64, k=4, s=2, p=1)");

  const Tensor<float> wrong_channels({64, 3, 28, 28});
  REQUIRE_THROWS_AS(conv.forward(wrong_channels), gan::Error);
  // The message docs/layers.md quotes, word for word.
  REQUIRE_THROWS_WITH(
      conv.forward(wrong_channels),
      Catch::Equals(
          "Conv2d(1->64, k=4, s=2, p=1): expected input [N, 1, H, W], got [64, 3, 28, 28]"));
  REQUIRE_THROWS_WITH(conv.forward(wrong_channels), name && Catch::Contains("[N, 1, H, W]") &&
                                                        Catch::Contains("[64, 3, 28, 28]"));
  REQUIRE_THROWS_WITH(conv.output_shape({64, 784}),
                      name && Catch::Contains("[N, 1, H, W]") && Catch::Contains("[64, 784]"));
  // k=4 with p=1 needs H + 2 >= 4.
  REQUIRE_THROWS_WITH(
      conv.output_shape({2, 1, 1, 9}),
      name && Catch::Contains("[N, 1, H >= 2, W >= 2]") && Catch::Contains("[2, 1, 1, 9]"));
  REQUIRE_NOTHROW(conv.output_shape({2, 1, 2, 2}));

  REQUIRE_THROWS_WITH(conv.backward(Tensor<float>({2, 64, 14, 14})),
                      name && Catch::Contains("before forward"));
  const Tensor<float> x({2, 1, 28, 28});
  conv.forward(x);
  REQUIRE_THROWS_WITH(
      conv.backward(Tensor<float>({2, 64, 13, 14})),
      name && Catch::Contains("[2, 64, 14, 14]") && Catch::Contains("[2, 64, 13, 14]"));
}

TEST_CASE("Conv2d rejects bad options", "[layers][conv2d][errors]") {
  REQUIRE_THROWS_WITH(gan::Conv2d<float>(0, 4, 3), Catch::Contains("in_channels"));
  REQUIRE_THROWS_WITH(gan::Conv2d<float>(1, 0, 3), Catch::Contains("out_channels"));
  REQUIRE_THROWS_WITH(gan::Conv2d<float>(1, 4, 0), Catch::Contains("kernel_size"));
  REQUIRE_THROWS_WITH(gan::Conv2d<float>(1, 4, 3, 0), Catch::Contains("stride"));
  REQUIRE_THROWS_WITH(
      gan::Conv2d<float>(1, 4, 3, 1, -1),
      Catch::Contains("padding") && Catch::Contains("Conv2d(1->4, k=3, s=1, p=-1)"));
  REQUIRE_THROWS_AS(gan::Conv2d<double>(-2, 4, 3), gan::Error);
}

TEST_CASE("Conv2d reuses its buffers while the shape stays the same", "[layers][conv2d]") {
  gan::Rng rng(9);
  gan::Conv2d<float> conv(2, 4, 3, 1, 1);
  const Tensor<float> a = random_tensor<float>({3, 2, 6, 5}, rng);
  const Tensor<float> b = random_tensor<float>({3, 2, 6, 5}, rng);
  const float* y_storage = conv.forward(a).data();
  const Tensor<float> ya = conv.forward(a);
  REQUIRE(conv.forward(b).data() == y_storage);
  // A smaller batch fits the same storage, and a bigger one still gives correct values.
  REQUIRE(conv.forward(Tensor<float>({1, 2, 6, 5})).data() == y_storage);
  REQUIRE(conv.forward(Tensor<float>({5, 2, 9, 9})).shape() == gan::Shape{5, 4, 9, 9});
  REQUIRE(same_bits(conv.forward(a), ya));
}

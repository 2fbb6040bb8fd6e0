#include "gan/layers/dense.hpp"

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

static_assert(gan::is_layer_v<gan::Dense<float>> && gan::is_layer_v<gan::Dense<double>>,
              "Dense must meet the layer interface");

namespace {

using gan::index_t;
using gan::Tensor;
using test_support::random_tensor;
using test_support::same_bits;

struct Config {
  index_t n, in, out;
  bool bias;
};

}  // namespace

TEST_CASE("Dense meets the layer contract, gradients included", "[layers][dense][contract]") {
  gan::Rng rng(17);
  for (const Config& c : {Config{3, 7, 5, true}, Config{4, 1, 1, true}, Config{3, 7, 5, false},
                          Config{1, 6, 9, true}, Config{5, 33, 2, true}}) {
    INFO("Dense(" << c.in << "->" << c.out << ") batch " << c.n << (c.bias ? "" : " no bias"));
    gan::Dense<double> dense(c.in, c.out, c.bias);
    const auto r =
        gan::testing::check_layer_contract(dense, random_tensor<double>({c.n, c.in}, rng), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    REQUIRE(dense.parameters().size() == (c.bias ? 2u : 1u));
    gan::Dense<float> dense_f(c.in, c.out, c.bias);
    const auto rf =
        gan::testing::check_layer_contract(dense_f, random_tensor<float>({c.n, c.in}, rng), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEMPLATE_TEST_CASE("Dense forward and backward match plain loops", "[layers][dense]", float,
                   double) {
  using T = TestType;
  const double eps = std::numeric_limits<T>::epsilon();
  gan::Rng rng(5);
  for (const Config& c : {Config{3, 7, 5, true}, Config{2, 1, 1, true}, Config{4, 37, 19, false},
                          Config{9, 100, 3, true}}) {
    INFO("Dense(" << c.in << "->" << c.out << ") batch " << c.n << (c.bias ? "" : " no bias"));
    gan::Dense<T> dense(c.in, c.out, c.bias);
    auto params = dense.parameters();
    const Tensor<T>& w = params[0].value;
    const Tensor<T> x = random_tensor<T>({c.n, c.in}, rng);
    const Tensor<T> dy = random_tensor<T>({c.n, c.out}, rng);
    const Tensor<T>& y = dense.forward(x);
    REQUIRE(y.shape() == gan::Shape{c.n, c.out});
    // Each output is a sum of in + 1 products: a recursive sum errs by at most
    // (in + 1) eps times the sum of the absolute terms (Higham 2002, eq. 3.5), any order.
    for (index_t n = 0; n < c.n; ++n)
      for (index_t o = 0; o < c.out; ++o) {
        double ref = c.bias ? static_cast<double>(params[1].value[o]) : 0.0;
        double mag = std::abs(ref);
        for (index_t i = 0; i < c.in; ++i) {
          ref += static_cast<double>(x(n, i)) * w(o, i);
          mag += std::abs(static_cast<double>(x(n, i)) * w(o, i));
        }
        REQUIRE(std::abs(y(n, o) - ref) <= 2 * (c.in + 2) * eps * mag);
      }

    dense.zero_grad();
    const Tensor<T>& dx = dense.backward(dy);
    REQUIRE(dx.shape() == x.shape());
    for (index_t n = 0; n < c.n; ++n)
      for (index_t i = 0; i < c.in; ++i) {
        double ref = 0, mag = 0;
        for (index_t o = 0; o < c.out; ++o) {
          ref += static_cast<double>(dy(n, o)) * w(o, i);
          mag += std::abs(static_cast<double>(dy(n, o)) * w(o, i));
        }
        REQUIRE(std::abs(dx(n, i) - ref) <= 2 * (c.out + 2) * eps * mag);
      }
    for (index_t o = 0; o < c.out; ++o)
      for (index_t i = 0; i < c.in; ++i) {
        double ref = 0, mag = 0;
        for (index_t n = 0; n < c.n; ++n) {
          ref += static_cast<double>(dy(n, o)) * x(n, i);
          mag += std::abs(static_cast<double>(dy(n, o)) * x(n, i));
        }
        REQUIRE(std::abs(params[0].grad(o, i) - ref) <= 2 * (c.n + 2) * eps * mag);
      }
    if (c.bias) {
      for (index_t o = 0; o < c.out; ++o) {
        double ref = 0, mag = 0;
        for (index_t n = 0; n < c.n; ++n) {
          ref += dy(n, o);
          mag += std::abs(dy(n, o));
        }
        REQUIRE(std::abs(params[1].grad[o] - ref) <= 2 * (c.n + 2) * eps * mag);
      }
    }
  }
}

TEMPLATE_TEST_CASE("Dense parameters: names, shapes and PyTorch default init", "[layers][dense]",
                   float, double) {
  using T = TestType;
  gan::manual_seed(99);
  gan::Dense<T> dense(16, 20);
  REQUIRE(dense.in_features() == 16);
  REQUIRE(dense.out_features() == 20);
  REQUIRE(dense.name() == "Dense(16->20)");
  auto params = dense.parameters();
  REQUIRE(params.size() == 2);
  REQUIRE(params[0].name == "weight");
  REQUIRE(params[0].value.shape() == gan::Shape{20, 16});
  REQUIRE(params[0].grad.shape() == gan::Shape{20, 16});
  REQUIRE(params[1].name == "bias");
  REQUIRE(params[1].value.shape() == gan::Shape{20});
  REQUIRE(params[1].grad.shape() == gan::Shape{20});
  REQUIRE(dense.buffers().empty());

  // U(-1/sqrt(in), 1/sqrt(in)) for weight and bias (torch.nn.Linear.reset_parameters).
  // 320 weights spread over the interval: the largest is near the bound, which a wrong
  // fan (out = 20: bound 0.22 instead of 0.25) would not reach.
  const double bound = 1.0 / std::sqrt(16.0);
  double largest = 0;
  for (T v : params[0].value) {
    REQUIRE(std::abs(v) <= bound);
    largest = std::max(largest, std::abs(static_cast<double>(v)));
  }
  REQUIRE(largest > 0.9 * bound);
  REQUIRE(*std::min_element(params[0].value.begin(), params[0].value.end()) < 0);
  REQUIRE(params[0].value[0] != params[0].value[1]);
  for (T v : params[1].value) REQUIRE(std::abs(v) <= bound);
  REQUIRE(params[1].value[0] != params[1].value[1]);
  for (auto& p : params)
    for (T g : p.grad) REQUIRE(g == 0);

  // Reseeding reproduces the weights; without a bias there is only "weight".
  gan::manual_seed(99);
  gan::Dense<T> again(16, 20);
  REQUIRE(same_bits(again.parameters()[0].value, params[0].value));
  REQUIRE(same_bits(again.parameters()[1].value, params[1].value));
  gan::Dense<T> no_bias(16, 20, false);
  REQUIRE(no_bias.parameters().size() == 1);
  REQUIRE(no_bias.parameters()[0].name == "weight");
  REQUIRE(no_bias.name() == "Dense(16->20, bias=false)");
}

TEST_CASE("Dense rejects bad shapes with the expected and actual shape",
          "[layers][dense][errors]") {
  gan::Dense<float> dense(4, 3);
  const auto name = Catch::Contains("Dense(4->3)");
  REQUIRE(dense.output_shape({2, 4}) == gan::Shape{2, 3});

  const Tensor<float> wrong_features({2, 6});
  REQUIRE_THROWS_AS(dense.forward(wrong_features), gan::Error);
  REQUIRE_THROWS_WITH(dense.forward(wrong_features),
                      name && Catch::Contains("[N, 4]") && Catch::Contains("[2, 6]"));
  REQUIRE_THROWS_WITH(dense.output_shape({2, 4, 1, 1}),
                      name && Catch::Contains("[N, 4]") && Catch::Contains("[2, 4, 1, 1]"));
  REQUIRE_THROWS_WITH(dense.output_shape({4}),
                      name && Catch::Contains("[N, 4]") && Catch::Contains("got [4]"));

  // backward before any forward, then with a dy of the wrong shape.
  REQUIRE_THROWS_AS(dense.backward(Tensor<float>({2, 3})), gan::Error);
  REQUIRE_THROWS_WITH(dense.backward(Tensor<float>({2, 3})), name);
  const Tensor<float> x({2, 4});
  dense.forward(x);
  REQUIRE_THROWS_WITH(dense.backward(Tensor<float>({2, 4})),
                      name && Catch::Contains("[2, 3]") && Catch::Contains("[2, 4]"));
  REQUIRE_NOTHROW(dense.backward(Tensor<float>({2, 3})));
}

TEST_CASE("Dense rejects bad options", "[layers][dense][errors]") {
  REQUIRE_THROWS_AS(gan::Dense<float>(0, 3), gan::Error);
  REQUIRE_THROWS_WITH(gan::Dense<float>(0, 3), Catch::Contains("Dense(0->3)"));
  REQUIRE_THROWS_AS(gan::Dense<float>(3, 0), gan::Error);
  REQUIRE_THROWS_AS(gan::Dense<double>(-2, 5, false), gan::Error);
}

TEST_CASE("Dense reuses its buffers while the shape stays the same", "[layers][dense]") {
  gan::Rng rng(9);
  gan::Dense<float> dense(8, 6);
  const Tensor<float> a = random_tensor<float>({5, 8}, rng);
  const Tensor<float> b = random_tensor<float>({5, 8}, rng);
  const float* y_storage = dense.forward(a).data();
  const Tensor<float> ya = dense.forward(a);
  REQUIRE(dense.forward(b).data() == y_storage);
  REQUIRE(dense.forward(Tensor<float>({2, 8})).data() == y_storage);
  REQUIRE(dense.forward(Tensor<float>({11, 8})).shape() == gan::Shape{11, 6});
  REQUIRE(same_bits(dense.forward(a), ya));
}

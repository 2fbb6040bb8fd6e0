#include "gan/layers/sigmoid.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "gan/core/rng.hpp"
#include "gan/testing/layer_contract.hpp"
#include "support.hpp"

static_assert(gan::is_layer_v<gan::Sigmoid<float>> && gan::is_layer_v<gan::Sigmoid<double>>,
              "Sigmoid must meet the layer interface");

namespace {

using gan::index_t;
using gan::Tensor;

}  // namespace

TEST_CASE("Sigmoid meets the layer contract, gradients included", "[layers][sigmoid][contract]") {
  gan::Rng rng(1);
  for (const gan::Shape& s : {gan::Shape{3, 5}, gan::Shape{2, 3, 5, 7}}) {
    INFO("x " << s.str());
    gan::Sigmoid<double> sigmoid;
    const auto r = gan::testing::check_layer_contract(
        sigmoid, test_support::random_tensor<double>(s, rng, -4.0, 4.0), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    gan::Sigmoid<float> sigmoid_f;
    const auto rf = gan::testing::check_layer_contract(
        sigmoid_f, test_support::random_tensor<float>(s, rng, -4.0, 4.0), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEMPLATE_TEST_CASE("Sigmoid forward and backward match 1 / (1 + e^-x) and y (1 - y)",
                   "[layers][sigmoid]", float, double) {
  using T = TestType;
  // A few ulps: exp is accurate to about an ulp and the formula adds a few roundings
  // (tests/kernels/elementwise.cpp states the bound).
  const long double eps = std::numeric_limits<T>::epsilon();
  gan::Rng rng(2);
  for (const gan::Shape& s : {gan::Shape{3, 5}, gan::Shape{2, 3, 5, 7}}) {
    gan::Sigmoid<T> sigmoid;
    Tensor<T> x(s), dy(s);
    rng.fill_uniform(x, -12.0, 12.0);
    rng.fill_uniform(dy, -1.0, 1.0);
    REQUIRE(sigmoid.output_shape(s) == s);
    const Tensor<T>& y = sigmoid.forward(x);
    REQUIRE(y.shape() == s);
    const Tensor<T>& dx = sigmoid.backward(dy);
    REQUIRE(dx.shape() == s);
    for (index_t i = 0; i < x.size(); ++i) {
      INFO("x = " << x[i]);
      const long double ref = 1.0L / (1.0L + std::exp(-static_cast<long double>(x[i])));
      REQUIRE(std::abs(y[i] - ref) <= 4 * eps * ref);
      const long double g = dy[i], yl = y[i];
      REQUIRE(std::abs(dx[i] - g * yl * (1 - yl)) <= 4 * eps * std::abs(g) * yl * (1 + yl));
      // And against the derivative of the exact sigmoid, to the accuracy of y.
      REQUIRE(std::abs(dx[i] - g * ref * (1 - ref)) <= 16 * eps * std::abs(g) * ref);
    }
  }
}

TEMPLATE_TEST_CASE("Sigmoid saturates to exactly 0 and 1 without NaN", "[layers][sigmoid]", float,
                   double) {
  using T = TestType;
  gan::Sigmoid<T> sigmoid;
  Tensor<T> x({2, 9}), dy({2, 9});
  for (index_t i = 0; i < x.size(); ++i) x[i] = (i % 2 ? T(-1) : T(1)) * (i % 3 ? T(1e4) : T(100));
  dy.fill(T(1));
  const Tensor<T>& y = sigmoid.forward(x);
  const Tensor<T>& dx = sigmoid.backward(dy);
  for (index_t i = 0; i < x.size(); ++i) {
    INFO("x = " << x[i]);
    REQUIRE(std::isfinite(y[i]));
    REQUIRE(std::isfinite(dx[i]));
    if (x[i] > 0) REQUIRE(y[i] == T(1));
    if (x[i] == T(-1e4)) REQUIRE(y[i] == T(0));
    if (x[i] == T(-100)) REQUIRE((y[i] >= T(0) && y[i] < T(1e-40)));
    REQUIRE(dx[i] >= T(0));
    REQUIRE(dx[i] < T(1e-40));
  }
}

TEST_CASE("Sigmoid has no parameters", "[layers][sigmoid]") {
  gan::Sigmoid<float> sigmoid;
  REQUIRE(sigmoid.name() == "Sigmoid()");
  REQUIRE(sigmoid.parameters().empty());
  REQUIRE(sigmoid.buffers().empty());
}

TEST_CASE("Sigmoid rejects backward before forward and a dy of the wrong shape",
          "[layers][sigmoid][errors]") {
  gan::Sigmoid<float> sigmoid;
  REQUIRE_THROWS_AS(sigmoid.backward(Tensor<float>({2, 3})), gan::Error);
  REQUIRE_THROWS_WITH(sigmoid.backward(Tensor<float>({2, 3})), Catch::Contains("Sigmoid()"));
  const Tensor<float> x({2, 3});
  sigmoid.forward(x);
  REQUIRE_THROWS_WITH(sigmoid.backward(Tensor<float>({3, 2})), Catch::Contains("Sigmoid()") &&
                                                                   Catch::Contains("[2, 3]") &&
                                                                   Catch::Contains("[3, 2]"));
}

#include "gan/layers/tanh.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "gan/core/rng.hpp"
#include "gan/testing/layer_contract.hpp"
#include "support.hpp"

static_assert(gan::is_layer_v<gan::Tanh<float>> && gan::is_layer_v<gan::Tanh<double>>,
              "Tanh must meet the layer interface");

namespace {

using gan::index_t;
using gan::Tensor;

}  // namespace

TEST_CASE("Tanh meets the layer contract, gradients included", "[layers][tanh][contract]") {
  gan::Rng rng(1);
  for (const gan::Shape& s : {gan::Shape{3, 5}, gan::Shape{2, 3, 5, 7}}) {
    INFO("x " << s.str());
    gan::Tanh<double> tanh_layer;
    const auto r = gan::testing::check_layer_contract(
        tanh_layer, test_support::random_tensor<double>(s, rng, -2.5, 2.5), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    gan::Tanh<float> tanh_layer_f;
    const auto rf = gan::testing::check_layer_contract(
        tanh_layer_f, test_support::random_tensor<float>(s, rng, -2.5, 2.5), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEMPLATE_TEST_CASE("Tanh forward and backward match std::tanh and 1 - y^2", "[layers][tanh]", float,
                   double) {
  using T = TestType;
  // A few ulps: xsimd's tanh is accurate to about an ulp (tests/kernels/elementwise.cpp
  // states the bound); 1 - y^2 is judged against the size of its terms, 1 + y^2.
  const long double eps = std::numeric_limits<T>::epsilon();
  gan::Rng rng(2);
  for (const gan::Shape& s : {gan::Shape{3, 5}, gan::Shape{2, 3, 5, 7}}) {
    gan::Tanh<T> tanh_layer;
    Tensor<T> x(s), dy(s);
    rng.fill_uniform(x, -5.0, 5.0);
    rng.fill_uniform(dy, -1.0, 1.0);
    REQUIRE(tanh_layer.output_shape(s) == s);
    const Tensor<T>& y = tanh_layer.forward(x);
    REQUIRE(y.shape() == s);
    const Tensor<T>& dx = tanh_layer.backward(dy);
    REQUIRE(dx.shape() == s);
    for (index_t i = 0; i < x.size(); ++i) {
      INFO("x = " << x[i]);
      const long double ref = std::tanh(static_cast<long double>(x[i]));
      REQUIRE(std::abs(y[i] - ref) <= 4 * eps * std::abs(ref));
      const long double g = dy[i], yl = y[i];
      REQUIRE(std::abs(dx[i] - g * (1 - yl * yl)) <= 4 * eps * std::abs(g) * (1 + yl * yl));
    }
  }
}

TEMPLATE_TEST_CASE("Tanh saturates to exactly +-1 with a zero gradient", "[layers][tanh]", float,
                   double) {
  using T = TestType;
  gan::Tanh<T> tanh_layer;
  Tensor<T> x({3, 7}), dy({3, 7});
  for (index_t i = 0; i < x.size(); ++i) x[i] = (i % 2 ? T(-1) : T(1)) * (i % 3 ? T(1e4) : T(100));
  dy.fill(T(1));
  const Tensor<T>& y = tanh_layer.forward(x);
  const Tensor<T>& dx = tanh_layer.backward(dy);
  for (index_t i = 0; i < x.size(); ++i) {
    REQUIRE(y[i] == (x[i] > 0 ? T(1) : T(-1)));
    REQUIRE(dx[i] == T(0));
  }
}

TEST_CASE("Tanh has no parameters", "[layers][tanh]") {
  gan::Tanh<float> tanh_layer;
  REQUIRE(tanh_layer.name() == "Tanh()");
  REQUIRE(tanh_layer.parameters().empty());
  REQUIRE(tanh_layer.buffers().empty());
}

TEST_CASE("Tanh rejects backward before forward and a dy of the wrong shape",
          "[layers][tanh][errors]") {
  gan::Tanh<float> tanh_layer;
  REQUIRE_THROWS_AS(tanh_layer.backward(Tensor<float>({2, 3})), gan::Error);
  REQUIRE_THROWS_WITH(tanh_layer.backward(Tensor<float>({2, 3})), Catch::Contains("Tanh()"));
  const Tensor<float> x({2, 3});
  tanh_layer.forward(x);
  REQUIRE_THROWS_WITH(tanh_layer.backward(Tensor<float>({3, 2})), Catch::Contains("Tanh()") &&
                                                                      Catch::Contains("[2, 3]") &&
                                                                      Catch::Contains("[3, 2]"));
}

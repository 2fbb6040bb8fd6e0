#include "gan/layers/relu.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/testing/layer_contract.hpp"
#include "support.hpp"

static_assert(gan::is_layer_v<gan::ReLU<float>> && gan::is_layer_v<gan::ReLU<double>>,
              "ReLU must meet the layer interface");

namespace {

using gan::index_t;
using gan::Tensor;

// sign * (0.1 + U[0, 1)): every |x| > 0.1, so a central difference with step 1e-6 never
// crosses the kink at 0, where the derivative is not defined.
template <class T>
Tensor<T> away_from_kink(const gan::Shape& shape, gan::Rng& rng) {
  Tensor<T> t(shape);
  for (T& v : t) v = static_cast<T>((rng.uniform() < 0.5 ? -1.0 : 1.0) * (0.1 + rng.uniform()));
  return t;
}

}  // namespace

TEST_CASE("ReLU meets the layer contract, gradients included", "[layers][relu][contract]") {
  gan::Rng rng(1);
  for (const gan::Shape& s : {gan::Shape{3, 5}, gan::Shape{2, 3, 5, 7}}) {
    INFO("x " << s.str());
    gan::ReLU<double> relu;
    const auto r = gan::testing::check_layer_contract(relu, away_from_kink<double>(s, rng), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    gan::ReLU<float> relu_f;
    const auto rf = gan::testing::check_layer_contract(relu_f, away_from_kink<float>(s, rng), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEMPLATE_TEST_CASE("ReLU forward and backward are max(x, 0) and dy * (x > 0)", "[layers][relu]",
                   float, double) {
  using T = TestType;
  gan::Rng rng(2);
  for (const gan::Shape& s : {gan::Shape{3, 5}, gan::Shape{2, 3, 5, 7}}) {
    gan::ReLU<T> relu;
    Tensor<T> x(s), dy(s);
    rng.fill_uniform(x, -1.0, 1.0);
    rng.fill_uniform(dy, -1.0, 1.0);
    x[0] = T(0);  // at the kink the negative branch applies, as in PyTorch
    REQUIRE(relu.output_shape(s) == s);
    const Tensor<T>& y = relu.forward(x);
    REQUIRE(y.shape() == s);
    for (index_t i = 0; i < x.size(); ++i) REQUIRE(y[i] == (x[i] > 0 ? x[i] : T(0)));
    const Tensor<T>& dx = relu.backward(dy);
    REQUIRE(dx.shape() == s);
    for (index_t i = 0; i < x.size(); ++i) REQUIRE(dx[i] == (x[i] > 0 ? dy[i] : T(0)));
  }
}

TEST_CASE("ReLU has no parameters", "[layers][relu]") {
  gan::ReLU<float> relu;
  REQUIRE(relu.name() == "ReLU()");
  REQUIRE(relu.parameters().empty());
  REQUIRE(relu.buffers().empty());
}

TEST_CASE("ReLU rejects backward before forward and a dy of the wrong shape",
          "[layers][relu][errors]") {
  gan::ReLU<float> relu;
  REQUIRE_THROWS_AS(relu.backward(Tensor<float>({2, 3})), gan::Error);
  REQUIRE_THROWS_WITH(relu.backward(Tensor<float>({2, 3})), Catch::Contains("ReLU()"));
  const Tensor<float> x({2, 3});
  relu.forward(x);
  REQUIRE_THROWS_WITH(relu.backward(Tensor<float>({3, 2})), Catch::Contains("ReLU()") &&
                                                                Catch::Contains("[2, 3]") &&
                                                                Catch::Contains("[3, 2]"));
}

#include "gan/layers/leaky_relu.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/testing/layer_contract.hpp"
#include "support.hpp"

static_assert(gan::is_layer_v<gan::LeakyReLU<float>> && gan::is_layer_v<gan::LeakyReLU<double>>,
              "LeakyReLU must meet the layer interface");

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

TEST_CASE("LeakyReLU meets the layer contract, gradients included",
          "[layers][leaky_relu][contract]") {
  gan::Rng rng(1);
  for (const double slope : {0.2, 0.01, -0.5}) {
    for (const gan::Shape& s : {gan::Shape{3, 5}, gan::Shape{2, 3, 5, 7}}) {
      INFO("slope " << slope << ", x " << s.str());
      gan::LeakyReLU<double> leaky(slope);
      const auto r = gan::testing::check_layer_contract(leaky, away_from_kink<double>(s, rng), rng);
      INFO(r.report);
      REQUIRE(r.ok);
      gan::LeakyReLU<float> leaky_f(static_cast<float>(slope));
      const auto rf =
          gan::testing::check_layer_contract(leaky_f, away_from_kink<float>(s, rng), rng);
      INFO(rf.report);
      REQUIRE(rf.ok);
    }
  }
}

TEMPLATE_TEST_CASE("LeakyReLU forward and backward match the definition", "[layers][leaky_relu]",
                   float, double) {
  using T = TestType;
  gan::Rng rng(2);
  for (const gan::Shape& s : {gan::Shape{3, 5}, gan::Shape{2, 3, 5, 7}}) {
    gan::LeakyReLU<T> leaky(T(0.2));
    Tensor<T> x(s), dy(s);
    rng.fill_uniform(x, -1.0, 1.0);
    rng.fill_uniform(dy, -1.0, 1.0);
    x[0] = T(0);  // at the kink the negative branch applies, as in PyTorch
    REQUIRE(leaky.output_shape(s) == s);
    const Tensor<T>& y = leaky.forward(x);
    REQUIRE(y.shape() == s);
    for (index_t i = 0; i < x.size(); ++i) REQUIRE(y[i] == (x[i] > 0 ? x[i] : T(0.2) * x[i]));
    const Tensor<T>& dx = leaky.backward(dy);
    REQUIRE(dx.shape() == s);
    for (index_t i = 0; i < x.size(); ++i) REQUIRE(dx[i] == (x[i] > 0 ? dy[i] : T(0.2) * dy[i]));
  }
}

TEST_CASE("LeakyReLU names its slope, defaults to PyTorch's 0.01, has no parameters",
          "[layers][leaky_relu]") {
  gan::LeakyReLU<float> leaky(0.2f);
  REQUIRE(leaky.name() == "LeakyReLU(0.2)");
  REQUIRE(leaky.slope() == 0.2f);
  REQUIRE(gan::LeakyReLU<double>().name() == "LeakyReLU(0.01)");
  REQUIRE(gan::LeakyReLU<double>().slope() == 0.01);
  REQUIRE(leaky.parameters().empty());
  REQUIRE(leaky.buffers().empty());
}

TEST_CASE("LeakyReLU rejects backward before forward and a dy of the wrong shape",
          "[layers][leaky_relu][errors]") {
  gan::LeakyReLU<float> leaky(0.2f);
  const auto name = Catch::Contains("LeakyReLU(0.2)");
  REQUIRE_THROWS_AS(leaky.backward(Tensor<float>({2, 3})), gan::Error);
  REQUIRE_THROWS_WITH(leaky.backward(Tensor<float>({2, 3})), name);
  const Tensor<float> x({2, 3});
  leaky.forward(x);
  REQUIRE_THROWS_WITH(leaky.backward(Tensor<float>({3, 2})),
                      name && Catch::Contains("[2, 3]") && Catch::Contains("[3, 2]"));
}

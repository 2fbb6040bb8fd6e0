// Elementwise<T, Op>, the layer behind the activations, with an Op of the user's own: the
// Softplus of docs/layers.md, word for word, checked against finite differences, and the
// from_output switch (the backward gets y, not x) with an Op that needs y.
#include "gan/layers/elementwise_layer.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "gan/core/rng.hpp"
#include "gan/layers/leaky_relu.hpp"
#include "gan/layers/relu.hpp"
#include "gan/layers/sigmoid.hpp"
#include "gan/layers/tanh.hpp"
#include "gan/testing/gradcheck.hpp"

namespace {

template <class T>
struct SoftplusOp {
  static constexpr bool from_output = false;  // backward gets x (true: it gets y)
  void forward(gan::index_t n, const T* x, T* y) const noexcept {
    for (gan::index_t i = 0; i < n; ++i) y[i] = std::log1p(std::exp(x[i]));
  }
  void backward(gan::index_t n, const T* x, const T* dy, T* dx) const noexcept {
    for (gan::index_t i = 0; i < n; ++i) dx[i] = dy[i] / (1 + std::exp(-x[i]));
  }
  std::string name() const { return "Softplus()"; }
};
template <class T>
using Softplus = gan::Elementwise<T, SoftplusOp<T>>;

// y = exp(x), whose derivative is y itself: right only if backward is handed y.
template <class T>
struct ExpOp {
  static constexpr bool from_output = true;
  void forward(gan::index_t n, const T* x, T* y) const noexcept {
    for (gan::index_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
  }
  void backward(gan::index_t n, const T* y, const T* dy, T* dx) const noexcept {
    for (gan::index_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i];
  }
  std::string name() const { return "Exp()"; }
};

}  // namespace

static_assert(gan::is_layer_v<Softplus<float>> && gan::is_layer_v<gan::LeakyReLU<double>> &&
                  gan::is_layer_v<gan::ReLU<float>> && gan::is_layer_v<gan::Sigmoid<double>> &&
                  gan::is_layer_v<gan::Tanh<float>>,
              "the activations meet the layer interface");

TEST_CASE("Elementwise: a user's own Op gets the right gradients, from x or from y",
          "[layers][elementwise][gradcheck]") {
  gan::Rng rng(3);
  gan::Tensor<double> x({3, 2, 5, 7});
  rng.fill_uniform(x, -2.0, 2.0);
  Softplus<double> softplus;
  REQUIRE(softplus.name() == "Softplus()");
  auto r = gan::testing::check_layer_gradients(softplus, x, rng);
  INFO(r.report);
  REQUIRE(r.ok);
  gan::Elementwise<double, ExpOp<double>> exp_layer;
  r = gan::testing::check_layer_gradients(exp_layer, x, rng);
  INFO(r.report);
  REQUIRE(r.ok);
}

TEST_CASE("Elementwise: the activations keep their names and their slope",
          "[layers][elementwise]") {
  REQUIRE(gan::ReLU<float>().name() == "ReLU()");
  REQUIRE(gan::Sigmoid<float>().name() == "Sigmoid()");
  REQUIRE(gan::Tanh<float>().name() == "Tanh()");
  const gan::LeakyReLU<float> leaky(0.2f);
  REQUIRE(leaky.name() == "LeakyReLU(0.2)");
  REQUIRE(leaky.slope() == 0.2f);
  REQUIRE(gan::LeakyReLU<double>().slope() == 0.01);
  Softplus<float> s;
  gan::Tensor<float> dy({2, 3});
  REQUIRE_THROWS_WITH(s.backward(dy), Catch::Contains("Softplus(): backward expects dy"));
}

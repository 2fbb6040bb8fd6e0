#include "gan/testing/gradcheck.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "gan/layers/layer.hpp"

namespace {
// y = sin(x), with a backward that is right, or wrong by `error` on element `bad`.
class Sine : public gan::LayerBase<double> {
 public:
  Sine(gan::index_t bad, double error) : bad_(bad), error_(error) {}
  gan::Shape output_shape(const gan::Shape& in) const { return in; }
  const gan::Tensor<double>& forward(const gan::Tensor<double>& x) {
    x_ = &x;
    y_.resize(x.shape());
    for (gan::index_t i = 0; i < x.size(); ++i) y_[i] = std::sin(x[i]);
    return y_;
  }
  const gan::Tensor<double>& backward(const gan::Tensor<double>& dy) {
    dx_.resize(dy.shape());
    for (gan::index_t i = 0; i < dy.size(); ++i)
      dx_[i] = std::cos((*x_)[i]) * dy[i] * (i == bad_ ? 1.0 + error_ : 1.0);
    return dx_;
  }
  std::string name() const { return "Sine()"; }

 private:
  gan::index_t bad_;
  double error_;
  gan::Tensor<double> y_, dx_;
  const gan::Tensor<double>* x_ = nullptr;
};
}  // namespace

TEST_CASE("check_layer_gradients accepts a right gradient and catches a wrong one",
          "[testing][gradcheck]") {
  gan::Tensor<double> x({2, 3, 2, 3});
  gan::Rng rng(5);
  rng.fill_uniform(x, -2, 2);

  Sine right(-1, 0.0);
  REQUIRE(gan::testing::check_layer_gradients(right, x, rng).ok);

  // A 1e-4 relative error in one element of 36 is caught and reported.
  Sine wrong(17, 1e-4);
  const auto r = gan::testing::check_layer_gradients(wrong, x, rng);
  REQUIRE_FALSE(r.ok);
  REQUIRE(r.failures == 1);
  REQUIRE_THAT(r.report, Catch::StartsWith("input[17]"));
}

TEST_CASE("check_function_gradient checks a scalar function", "[testing][gradcheck]") {
  gan::Tensor<double> x({7});
  gan::Rng rng(9);
  rng.fill_uniform(x, -1, 1);
  auto cube_sum = [](const gan::Tensor<double>& v, gan::Tensor<double>& g) {
    double s = 0;
    for (gan::index_t i = 0; i < v.size(); ++i) {
      s += v[i] * v[i] * v[i];
      g[i] = 3 * v[i] * v[i];
    }
    return s;
  };
  REQUIRE(gan::testing::check_function_gradient(cube_sum, x).ok);
  auto wrong = [&](const gan::Tensor<double>& v, gan::Tensor<double>& g) {
    const double s = cube_sum(v, g);
    g[3] *= 1.001;
    return s;
  };
  REQUIRE_FALSE(gan::testing::check_function_gradient(wrong, x).ok);
}

#include "gan/losses/mse.hpp"

#include <catch2/catch.hpp>

#include "gan/core/rng.hpp"
#include "gan/testing/gradcheck.hpp"

namespace {
template <class T>
gan::Tensor<T> uniform(gan::Shape s, double lo, double hi, std::uint64_t seed) {
  gan::Tensor<T> t(s);
  gan::Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  return t;
}
}  // namespace

TEMPLATE_TEST_CASE("mse_loss matches the plain formula", "[losses][mse]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const auto pred = uniform<T>({3, 5}, -2, 2, 21);
  const auto target = uniform<T>({3, 5}, -1, 1, 22);
  gan::Tensor<T> grad({4});
  grad.fill(T(-5));

  // L = mean (p - t)^2, dL/dp = 2 (p - t) / n.
  double expected = 0;
  for (gan::index_t i = 0; i < pred.size(); ++i) {
    const double d = double(pred[i]) - double(target[i]);
    expected += d * d;
  }
  REQUIRE(gan::mse_loss(pred, target, grad) == Approx(expected / 15).epsilon(tol));
  REQUIRE(grad.shape() == pred.shape());
  for (gan::index_t i = 0; i < pred.size(); ++i)
    REQUIRE(grad[i] == Approx(2 * (double(pred[i]) - double(target[i])) / 15).epsilon(tol));

  double e = 0;
  for (gan::index_t i = 0; i < pred.size(); ++i) e += (double(pred[i]) - 0.5) * (pred[i] - 0.5);
  REQUIRE(gan::mse_loss(pred, T(0.5), grad) == Approx(e / 15).epsilon(tol));
  for (gan::index_t i = 0; i < pred.size(); ++i)
    REQUIRE(grad[i] == Approx(2 * (double(pred[i]) - 0.5) / 15).epsilon(tol));
}

TEST_CASE("mse_loss: a hand-worked example", "[losses][mse]") {
  // (1 - 0)^2, (2 - 4)^2, (-1 - -1)^2 = 1, 4, 0: mean 5/3; grads 2(p - t)/3 = 2/3, -4/3, 0.
  gan::Tensor<double> pred({3}), target({3}), grad;
  pred[0] = 1, pred[1] = 2, pred[2] = -1;
  target[0] = 0, target[1] = 4, target[2] = -1;
  REQUIRE(gan::mse_loss(pred, target, grad) == Approx(5.0 / 3));
  REQUIRE(grad[0] == Approx(2.0 / 3));
  REQUIRE(grad[1] == Approx(-4.0 / 3));
  REQUIRE(grad[2] == 0.0);
}

TEST_CASE("mse_loss gradient passes the finite-difference check", "[losses][mse][gradcheck]") {
  for (const gan::Shape& s : {gan::Shape{7}, gan::Shape{3, 5}}) {
    const auto pred = uniform<double>(s, -2, 2, 23);
    const auto target = uniform<double>(s, -2, 2, 24);
    auto with_tensor = [&](const gan::Tensor<double>& x, gan::Tensor<double>& g) {
      return gan::mse_loss(x, target, g);
    };
    auto r = gan::testing::check_function_gradient(with_tensor, pred);
    INFO(r.report);
    REQUIRE(r.ok);
    auto with_scalar = [&](const gan::Tensor<double>& x, gan::Tensor<double>& g) {
      return gan::mse_loss(x, 0.25, g);
    };
    r = gan::testing::check_function_gradient(with_scalar, pred);
    INFO(r.report);
    REQUIRE(r.ok);
  }
}

TEST_CASE("mse_loss names both shapes on a mismatch", "[losses][mse]") {
  gan::Tensor<float> pred({8, 1, 28, 28}), target({8, 784}), grad;
  REQUIRE_THROWS_AS(gan::mse_loss(pred, target, grad), gan::Error);
  REQUIRE_THROWS_WITH(gan::mse_loss(pred, target, grad), Catch::Contains("mse_loss") &&
                                                             Catch::Contains("[8, 1, 28, 28]") &&
                                                             Catch::Contains("[8, 784]"));
}

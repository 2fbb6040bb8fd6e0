#include "gan/losses/least_squares.hpp"

#include <catch2/catch.hpp>

#include "gan/core/rng.hpp"
#include "gan/losses/mse.hpp"
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

TEMPLATE_TEST_CASE("least_squares_loss matches the plain formula", "[losses][least_squares]", float,
                   double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const auto pred = uniform<T>({3, 5}, -2, 2, 31);
  const auto target = uniform<T>({3, 5}, -1, 1, 32);
  gan::Tensor<T> grad({2, 2});
  grad.fill(T(9));

  // L = 1/2 mean (p - t)^2 (Mao et al. 2017, eq. 2), dL/dp = (p - t) / n.
  double expected = 0;
  for (gan::index_t i = 0; i < pred.size(); ++i) {
    const double d = double(pred[i]) - double(target[i]);
    expected += 0.5 * d * d;
  }
  REQUIRE(gan::least_squares_loss(pred, target, grad) == Approx(expected / 15).epsilon(tol));
  REQUIRE(grad.shape() == pred.shape());
  for (gan::index_t i = 0; i < pred.size(); ++i)
    REQUIRE(grad[i] == Approx((double(pred[i]) - double(target[i])) / 15).epsilon(tol));

  // LSGAN's labels a = 0 (fake) and b = c = 1 (real), as scalars.
  for (const double label : {0.0, 1.0}) {
    double e = 0;
    for (gan::index_t i = 0; i < pred.size(); ++i)
      e += 0.5 * (double(pred[i]) - label) * (double(pred[i]) - label);
    REQUIRE(gan::least_squares_loss(pred, T(label), grad) == Approx(e / 15).epsilon(tol));
    for (gan::index_t i = 0; i < pred.size(); ++i)
      REQUIRE(grad[i] == Approx((double(pred[i]) - label) / 15).epsilon(tol));
  }
}

TEMPLATE_TEST_CASE("least_squares_loss is half of mse_loss", "[losses][least_squares]", float,
                   double) {
  using T = TestType;
  const auto pred = uniform<T>({7}, -3, 3, 33);
  const auto target = uniform<T>({7}, -3, 3, 34);
  gan::Tensor<T> g_ls, g_mse;
  const T ls = gan::least_squares_loss(pred, target, g_ls);
  const T mse = gan::mse_loss(pred, target, g_mse);
  REQUIRE(ls == Approx(mse / 2));
  for (gan::index_t i = 0; i < pred.size(); ++i) REQUIRE(g_ls[i] == Approx(g_mse[i] / 2));
}

TEST_CASE("least_squares_loss gradient passes the finite-difference check",
          "[losses][least_squares][gradcheck]") {
  for (const gan::Shape& s : {gan::Shape{7}, gan::Shape{3, 5}}) {
    const auto pred = uniform<double>(s, -2, 2, 35);
    const auto target = uniform<double>(s, -2, 2, 36);
    auto with_tensor = [&](const gan::Tensor<double>& x, gan::Tensor<double>& g) {
      return gan::least_squares_loss(x, target, g);
    };
    auto r = gan::testing::check_function_gradient(with_tensor, pred);
    INFO(r.report);
    REQUIRE(r.ok);
    for (const double label : {0.0, 1.0}) {
      auto with_label = [&](const gan::Tensor<double>& x, gan::Tensor<double>& g) {
        return gan::least_squares_loss(x, label, g);
      };
      r = gan::testing::check_function_gradient(with_label, pred);
      INFO(r.report);
      REQUIRE(r.ok);
    }
  }
}

TEST_CASE("least_squares_loss names both shapes on a mismatch", "[losses][least_squares]") {
  gan::Tensor<double> pred({5, 1}), target({1, 5}), grad;
  REQUIRE_THROWS_AS(gan::least_squares_loss(pred, target, grad), gan::Error);
  REQUIRE_THROWS_WITH(gan::least_squares_loss(pred, target, grad),
                      Catch::Contains("least_squares_loss") && Catch::Contains("[5, 1]") &&
                          Catch::Contains("[1, 5]"));
}

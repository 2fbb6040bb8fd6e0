#include "gan/losses/bce_with_logits.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "gan/core/rng.hpp"
#include "gan/losses/bce.hpp"
#include "gan/testing/gradcheck.hpp"

namespace {
// The plain (unstable, fine for moderate x) formula in long double:
// l = -(t log s + (1 - t) log(1 - s)), s = 1 / (1 + exp(-x)); dl/dx = s - t.
long double sigmoid(long double x) { return 1.0L / (1.0L + std::exp(-x)); }
double plain_term(double x, double t) {
  const long double s = sigmoid(x);
  return static_cast<double>(-(t * std::log(s) + (1 - t) * std::log(1 - s)));
}
double plain_grad(double x, double t, double n) {
  return static_cast<double>((sigmoid(x) - t) / n);
}

template <class T>
gan::Tensor<T> uniform(gan::Shape s, double lo, double hi, std::uint64_t seed) {
  gan::Tensor<T> t(s);
  gan::Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  return t;
}
}  // namespace

TEMPLATE_TEST_CASE("bce_with_logits_loss matches the plain formula", "[losses][bce_with_logits]",
                   float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const auto x = uniform<T>({3, 5}, -6, 6, 11);
  const auto target = uniform<T>({3, 5}, 0, 1, 12);
  gan::Tensor<T> grad({1, 1});
  grad.fill(T(3));

  double expected = 0;
  for (gan::index_t i = 0; i < x.size(); ++i) expected += plain_term(x[i], target[i]);
  REQUIRE(gan::bce_with_logits_loss(x, target, grad) == Approx(expected / 15).epsilon(tol));
  REQUIRE(grad.shape() == x.shape());
  for (gan::index_t i = 0; i < x.size(); ++i)
    REQUIRE(grad[i] == Approx(plain_grad(x[i], target[i], 15)).epsilon(tol).margin(1e-7));

  for (const double label : {1.0, 0.0, 0.9}) {
    double e = 0;
    for (gan::index_t i = 0; i < x.size(); ++i) e += plain_term(x[i], T(label));
    REQUIRE(gan::bce_with_logits_loss(x, T(label), grad) == Approx(e / 15).epsilon(tol));
    for (gan::index_t i = 0; i < x.size(); ++i)
      REQUIRE(grad[i] == Approx(plain_grad(x[i], T(label), 15)).epsilon(tol).margin(1e-7));
  }
}

TEST_CASE("bce_with_logits_loss gradient passes the finite-difference check",
          "[losses][bce_with_logits][gradcheck]") {
  for (const gan::Shape& s : {gan::Shape{7}, gan::Shape{3, 5}}) {
    const auto x = uniform<double>(s, -4, 4, 13);
    const auto target = uniform<double>(s, 0, 1, 14);
    auto with_tensor = [&](const gan::Tensor<double>& in, gan::Tensor<double>& g) {
      return gan::bce_with_logits_loss(in, target, g);
    };
    auto r = gan::testing::check_function_gradient(with_tensor, x);
    INFO(r.report);
    REQUIRE(r.ok);
    for (const double label : {1.0, 0.0, 0.9}) {
      auto with_label = [&](const gan::Tensor<double>& in, gan::Tensor<double>& g) {
        return gan::bce_with_logits_loss(in, label, g);
      };
      r = gan::testing::check_function_gradient(with_label, x);
      INFO(r.report);
      REQUIRE(r.ok);
    }
  }
}

TEMPLATE_TEST_CASE("bce_with_logits_loss equals bce_loss of the sigmoid for moderate x",
                   "[losses][bce_with_logits]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-10;
  const auto x = uniform<T>({2, 9}, -5, 5, 15);
  const auto target = uniform<T>({2, 9}, 0, 1, 16);
  gan::Tensor<T> p(x.shape()), grad_logits, grad_p;
  for (gan::index_t i = 0; i < x.size(); ++i) p[i] = static_cast<T>(sigmoid(x[i]));

  REQUIRE(gan::bce_with_logits_loss(x, target, grad_logits) ==
          Approx(gan::bce_loss(p, target, grad_p)).epsilon(tol));
  // Chain rule: dL/dx = dL/dp * p (1 - p).
  for (gan::index_t i = 0; i < x.size(); ++i)
    REQUIRE(grad_logits[i] ==
            Approx(grad_p[i] * p[i] * (1 - p[i])).epsilon(tol).margin(tol * 1e-2));
  REQUIRE(gan::bce_with_logits_loss(x, T(0.9), grad_logits) ==
          Approx(gan::bce_loss(p, T(0.9), grad_p)).epsilon(tol));
}

TEMPLATE_TEST_CASE("bce_with_logits_loss is finite at |x| = 1e4", "[losses][bce_with_logits]",
                   float, double) {
  using T = TestType;
  // Exactly: l = max(x, 0) - x t (the log1p term underflows to 0), dl/dx = step(x) - t.
  const T xs[9] = {1e4, -1e4, 1e4, -1e4, 1e4, -1e4, 1e4, -1e4, 0};
  const T ts[9] = {0, 1, 1, 0, 0.5, 0.5, 0.9, 0, 1};
  // Repeated over 35 elements, to reach SIMD batches (up to 16 floats) and the tail.
  const int n = 35;
  gan::Tensor<T> x({n}), target({n}), grad;
  double expected = 0;
  for (int i = 0; i < n; ++i) {
    x[i] = xs[i % 9];
    target[i] = ts[i % 9];
    expected += i % 9 == 8 ? std::log(2.0) : std::max(double(x[i]), 0.0) - double(x[i]) * target[i];
  }
  const T loss = gan::bce_with_logits_loss(x, target, grad);
  REQUIRE(std::isfinite(loss));
  REQUIRE(loss == Approx(expected / n).epsilon(1e-5));
  for (int i = 0; i < n; ++i) {
    INFO("element " << i);
    const double step = x[i] > 0 ? 1.0 : x[i] < 0 ? 0.0 : 0.5;
    REQUIRE(std::isfinite(grad[i]));
    REQUIRE(grad[i] == Approx((step - target[i]) / n).margin(1e-6));
  }
  const T l0 = gan::bce_with_logits_loss(x, T(0), grad);
  REQUIRE(std::isfinite(l0));
  for (T g : grad) REQUIRE(std::isfinite(g));
}

TEST_CASE("bce_with_logits_loss names both shapes on a mismatch", "[losses][bce_with_logits]") {
  gan::Tensor<double> x({2, 3}), target({3, 2}), grad;
  REQUIRE_THROWS_AS(gan::bce_with_logits_loss(x, target, grad), gan::Error);
  REQUIRE_THROWS_WITH(gan::bce_with_logits_loss(x, target, grad),
                      Catch::Contains("bce_with_logits_loss") && Catch::Contains("[2, 3]") &&
                          Catch::Contains("[3, 2]"));
}

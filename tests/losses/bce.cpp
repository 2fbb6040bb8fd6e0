#include "gan/losses/bce.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "gan/core/rng.hpp"
#include "gan/testing/gradcheck.hpp"

namespace {
// The plain formula, in double, one element at a time: PyTorch's BCELoss terms with each
// log clamped at -100, and the gradient (p - t) / max(p (1 - p), 1e-12) / n.
double plain_term(double p, double t) {
  return -(t * std::max(std::log(p), -100.0) + (1 - t) * std::max(std::log(1 - p), -100.0));
}
double plain_grad(double p, double t, double n) {
  return (p - t) / std::max(p * (1 - p), 1e-12) / n;
}

template <class T>
gan::Tensor<T> uniform(gan::Shape s, double lo, double hi, std::uint64_t seed) {
  gan::Tensor<T> t(s);
  gan::Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  return t;
}
}  // namespace

TEMPLATE_TEST_CASE("bce_loss matches the plain formula, tensor and scalar target", "[losses][bce]",
                   float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  // [3, 5]: 15 elements, so both the SIMD batches and the scalar tail are used.
  const auto p = uniform<T>({3, 5}, 0.02, 0.98, 1);
  const auto target = uniform<T>({3, 5}, 0.0, 1.0, 2);
  gan::Tensor<T> grad({2});  // wrong shape and stale contents: must be overwritten
  grad.fill(T(7));

  double expected = 0;
  for (gan::index_t i = 0; i < p.size(); ++i) expected += plain_term(p[i], target[i]);
  expected /= 15;
  const T loss = gan::bce_loss(p, target, grad);
  REQUIRE(loss == Approx(expected).epsilon(tol));
  REQUIRE(grad.shape() == p.shape());
  for (gan::index_t i = 0; i < p.size(); ++i)
    REQUIRE(grad[i] == Approx(plain_grad(p[i], target[i], 15)).epsilon(tol));

  for (const double label : {1.0, 0.0, 0.9}) {
    double e = 0;
    for (gan::index_t i = 0; i < p.size(); ++i) e += plain_term(p[i], T(label));
    const T l = gan::bce_loss(p, T(label), grad);
    REQUIRE(l == Approx(e / 15).epsilon(tol));
    for (gan::index_t i = 0; i < p.size(); ++i)
      REQUIRE(grad[i] == Approx(plain_grad(p[i], T(label), 15)).epsilon(tol));
  }
}

TEST_CASE("bce_loss gradient passes the finite-difference check", "[losses][bce][gradcheck]") {
  for (const gan::Shape& s : {gan::Shape{7}, gan::Shape{3, 5}}) {
    const auto p = uniform<double>(s, 0.05, 0.95, 3);
    const auto target = uniform<double>(s, 0.0, 1.0, 4);
    auto with_tensor = [&](const gan::Tensor<double>& x, gan::Tensor<double>& g) {
      return gan::bce_loss(x, target, g);
    };
    auto r = gan::testing::check_function_gradient(with_tensor, p);
    INFO(r.report);
    REQUIRE(r.ok);
    for (const double label : {1.0, 0.0, 0.9}) {
      auto with_label = [&](const gan::Tensor<double>& x, gan::Tensor<double>& g) {
        return gan::bce_loss(x, label, g);
      };
      r = gan::testing::check_function_gradient(with_label, p);
      INFO(r.report);
      REQUIRE(r.ok);
    }
  }
}

TEMPLATE_TEST_CASE("bce_loss is finite at p = 0 and p = 1", "[losses][bce]", float, double) {
  using T = TestType;
  // A pattern of 12 repeated over 35 elements: saturated values sit in SIMD batches (up
  // to AVX-512's 16 floats) and in the scalar tail.
  const int n = 35;
  gan::Tensor<T> p({n}), target({n}), grad;
  const T ps[12] = {0, 1, 0, 1, 0.5, 0, 1, 0, 1, 0, 1, 0};
  const T ts[12] = {1, 0, 0, 1, 1, 0.5, 0.5, 1, 0, 0, 1, 1};
  double expected = 0;
  for (int i = 0; i < n; ++i) {
    p[i] = ps[i % 12];
    target[i] = ts[i % 12];
    expected += plain_term(p[i], target[i]);
  }
  // Each p = 0 with t = 1 (or p = 1 with t = 0) costs exactly the clamp, 100.
  REQUIRE(plain_term(0, 1) == 100.0);
  const T loss = gan::bce_loss(p, target, grad);
  REQUIRE(std::isfinite(loss));
  REQUIRE(loss == Approx(expected / n).epsilon(1e-6));
  for (int i = 0; i < n; ++i) {
    INFO("element " << i);
    REQUIRE(std::isfinite(grad[i]));
    REQUIRE(grad[i] == Approx(plain_grad(p[i], target[i], n)).epsilon(1e-6));
  }
  // The scalar-target form saturates the same way.
  const T l1 = gan::bce_loss(p, T(1), grad);
  REQUIRE(std::isfinite(l1));
  for (T g : grad) REQUIRE(std::isfinite(g));
}

TEMPLATE_TEST_CASE("bce_loss rejects a p outside [0, 1]", "[losses][bce]", float, double) {
  using T = TestType;
  gan::Tensor<T> grad;
  // Out-of-range elements in SIMD batches (2, 20) and in the scalar tail (34).
  for (const gan::index_t bad : {gan::index_t(2), gan::index_t(20), gan::index_t(34)}) {
    for (const T value : {T(1.5), T(-0.25), std::numeric_limits<T>::quiet_NaN()}) {
      auto p = uniform<T>({35}, 0.1, 0.9, 5);
      p[bad] = value;
      REQUIRE_THROWS_WITH(
          gan::bce_loss(p, T(1), grad),
          Catch::Contains("bce_loss") && Catch::Contains("element " + std::to_string(bad)));
    }
  }
}

TEST_CASE("bce_loss names both shapes on a mismatch", "[losses][bce]") {
  gan::Tensor<float> p({4, 1}), target({4}), grad;
  REQUIRE_THROWS_AS(gan::bce_loss(p, target, grad), gan::Error);
  REQUIRE_THROWS_WITH(gan::bce_loss(p, target, grad), Catch::Contains("bce_loss") &&
                                                          Catch::Contains("[4, 1]") &&
                                                          Catch::Contains("[4]"));
  gan::Tensor<float> empty({0}), unset;
  REQUIRE_THROWS_AS(gan::bce_loss(empty, 1.0f, grad), gan::Error);
  REQUIRE_THROWS_AS(gan::bce_loss(unset, 1.0f, grad), gan::Error);
  REQUIRE_THROWS_WITH(gan::bce_loss(p, 1.0f, p), Catch::Contains("grad"));
}

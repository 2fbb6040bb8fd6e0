#include "gan/losses/cross_entropy.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/testing/gradcheck.hpp"

namespace {
// The plain formula in long double, fine for moderate logits:
// l = -log(exp(x_y) / sum_c exp(x_c)); dl/dx_c = (p_c - [c == y]) / N.
long double softmax(const long double* x, int c, int j) {
  long double s = 0;
  for (int k = 0; k < c; ++k) s += std::exp(x[k]);
  return std::exp(x[j]) / s;
}

template <class T>
gan::Tensor<T> uniform(gan::Shape s, double lo, double hi, std::uint64_t seed) {
  gan::Tensor<T> t(s);
  gan::Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  return t;
}
}  // namespace

TEMPLATE_TEST_CASE("cross_entropy_loss matches the plain formula", "[losses][cross_entropy]", float,
                   double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const int n = 5, c = 7;
  const auto x = uniform<T>({n, c}, -6, 6, 21);
  const std::vector<int> labels{0, 6, 3, 3, 1};
  gan::Tensor<T> grad({2, 2});
  grad.fill(T(3));

  long double expected = 0;
  std::vector<long double> row(c);
  std::vector<double> plain_grad(n * c);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < c; ++j) row[j] = x(i, j);
    expected -= std::log(softmax(row.data(), c, labels[i]));
    for (int j = 0; j < c; ++j)
      plain_grad[i * c + j] =
          static_cast<double>((softmax(row.data(), c, j) - (j == labels[i] ? 1 : 0)) / n);
  }
  REQUIRE(gan::cross_entropy_loss(x, labels, grad) ==
          Approx(static_cast<double>(expected / n)).epsilon(tol));
  REQUIRE(grad.shape() == x.shape());
  for (int k = 0; k < n * c; ++k)
    REQUIRE(grad[k] == Approx(plain_grad[k]).epsilon(tol).margin(1e-7));
  // Each row of the gradient sums to zero (softmax sums to one).
  for (int i = 0; i < n; ++i) {
    double s = 0;
    for (int j = 0; j < c; ++j) s += grad(i, j);
    REQUIRE(s == Approx(0).margin(std::is_same_v<T, float> ? 1e-7 : 1e-15));
  }
}

TEST_CASE("cross_entropy_loss gradient passes the finite-difference check",
          "[losses][cross_entropy][gradcheck]") {
  // Odd sizes, batch > 1, a single class (loss 0) and a single row.
  const std::vector<std::pair<gan::Shape, std::vector<int>>> cases{
      {gan::Shape{3, 5}, {4, 0, 2}},
      {gan::Shape{1, 10}, {7}},
      {gan::Shape{4, 1}, {0, 0, 0, 0}},
      {gan::Shape{6, 3}, {1, 1, 2, 0, 2, 1}}};
  std::uint64_t seed = 30;
  for (const auto& [shape, labels] : cases) {
    const auto x = uniform<double>(shape, -4, 4, ++seed);
    auto f = [&](const gan::Tensor<double>& in, gan::Tensor<double>& g) {
      return gan::cross_entropy_loss(in, labels, g);
    };
    const auto r = gan::testing::check_function_gradient(f, x);
    INFO(shape.str() << "\n" << r.report);
    REQUIRE(r.ok);
  }
}

TEMPLATE_TEST_CASE("cross_entropy_loss is finite and exact at |x| = 1e4", "[losses][cross_entropy]",
                   float, double) {
  using T = TestType;
  // Row 0: the labelled class wins by 2e4 -> l = 0, grad = 0.
  // Row 1: another class wins by 2e4 -> l = 2e4, grad = (+1 at the winner, -1 at the label) / N.
  // Row 2: all equal -> l = log 3, grad = (1/3 - [c == y]) / N.
  gan::Tensor<T> x({3, 3}), grad;
  const T big = T(1e4);
  const T rows[3][3] = {{big, -big, -big}, {-big, big, -big}, {big, big, big}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) x(i, j) = rows[i][j];
  const std::vector<int> labels{0, 0, 2};
  const T loss = gan::cross_entropy_loss(x, labels, grad);
  REQUIRE(std::isfinite(loss));
  REQUIRE(loss == Approx((0 + 2e4 + std::log(3.0)) / 3).epsilon(1e-6));
  for (T g : grad) REQUIRE(std::isfinite(g));
  REQUIRE(grad(0, 0) == Approx(0).margin(1e-12));
  REQUIRE(grad(1, 0) == Approx(-1.0 / 3).epsilon(1e-6));
  REQUIRE(grad(1, 1) == Approx(1.0 / 3).epsilon(1e-6));
  REQUIRE(grad(2, 2) == Approx((1.0 / 3 - 1) / 3).epsilon(1e-6));
  REQUIRE(grad(2, 0) == Approx(1.0 / 9).epsilon(1e-6));
}

TEST_CASE("cross_entropy_loss rejects bad shapes and labels with a clear message",
          "[losses][cross_entropy]") {
  gan::Tensor<double> grad;
  gan::Tensor<double> flat({6});
  REQUIRE_THROWS_AS(gan::cross_entropy_loss(flat, {0, 1}, grad), gan::Error);
  REQUIRE_THROWS_WITH(gan::cross_entropy_loss(flat, {0, 1}, grad),
                      Catch::Contains("cross_entropy_loss") &&
                          Catch::Contains("expected logits [N >= 1, C >= 1], got [6]"));
  gan::Tensor<double> x({2, 3});
  REQUIRE_THROWS_WITH(gan::cross_entropy_loss(x, {0, 1, 2}, grad),
                      Catch::Contains("logits [2, 3] need 2 labels, got 3"));
  REQUIRE_THROWS_WITH(gan::cross_entropy_loss(x, {0, 3}, grad),
                      Catch::Contains("label 1 is 3, expected a class in [0, 3)"));
  REQUIRE_THROWS_WITH(gan::cross_entropy_loss(x, {-1, 0}, grad), Catch::Contains("label 0 is -1"));
  REQUIRE_THROWS_WITH(gan::cross_entropy_loss(x, {0, 0}, x),
                      Catch::Contains("grad must be a tensor of its own"));
  gan::Tensor<double> empty({0, 3});
  REQUIRE_THROWS_WITH(gan::cross_entropy_loss(empty, {}, grad), Catch::Contains("got [0, 3]"));
}

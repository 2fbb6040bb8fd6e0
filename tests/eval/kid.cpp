#include "gan/eval/kid.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "gan/core/rng.hpp"

namespace {
using gan::eval::Features;

Features normal_set(gan::index_t n, gan::index_t d, double shift, std::uint64_t seed) {
  gan::Rng rng(seed);
  Features f(n, d);
  for (gan::index_t i = 0; i < n; ++i)
    for (gan::index_t j = 0; j < d; ++j) f(i, j) = rng.normal() + shift;
  return f;
}

// The estimators written out term by term, with k(x, y) = (x.y / d + 1)^3.
double k(const Features& a, gan::index_t i, const Features& b, gan::index_t j) {
  return std::pow(a.row(i).dot(b.row(j)) / static_cast<double>(a.cols()) + 1, 3);
}
double naive_mmd2(const Features& x, const Features& y, bool unbiased) {
  const double m = static_cast<double>(x.rows()), n = static_cast<double>(y.rows());
  double xx = 0, yy = 0, xy = 0;
  for (gan::index_t i = 0; i < x.rows(); ++i)
    for (gan::index_t j = 0; j < x.rows(); ++j)
      if (i != j || !unbiased) xx += k(x, i, x, j);
  for (gan::index_t i = 0; i < y.rows(); ++i)
    for (gan::index_t j = 0; j < y.rows(); ++j)
      if (i != j || !unbiased) yy += k(y, i, y, j);
  for (gan::index_t i = 0; i < x.rows(); ++i)
    for (gan::index_t j = 0; j < y.rows(); ++j) xy += k(x, i, y, j);
  return unbiased ? xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)
                  : xx / (m * m) + yy / (n * n) - 2 * xy / (m * n);
}
}  // namespace

TEST_CASE("mmd2 estimators match the term-by-term formulas", "[eval][kid]") {
  // Sizes that leave partial row blocks (256 rows per block) and m != n.
  const Features x = normal_set(300, 5, 0.0, 1), y = normal_set(37, 5, 0.4, 2);
  REQUIRE(gan::eval::mmd2_unbiased(x, y) == Approx(naive_mmd2(x, y, true)).epsilon(1e-10));
  REQUIRE(gan::eval::mmd2_biased(x, y) == Approx(naive_mmd2(x, y, false)).epsilon(1e-10));
  // The whole-set KID is the unbiased estimate; KidReference gives the same.
  REQUIRE(gan::eval::kid(x, y).mean == Approx(naive_mmd2(x, y, true)).epsilon(1e-10));
  const gan::eval::KidReference ref(x);
  gan::eval::GramWorkspace w;
  REQUIRE(ref.mmd2_unbiased(y, w) == Approx(naive_mmd2(x, y, true)).epsilon(1e-10));
}

TEST_CASE("KID is unbiased: ~0 on average for one distribution, unlike the biased estimator",
          "[eval][kid]") {
  // 400 pairs of independent 20-sample sets from N(0, I_4). The unbiased estimator's mean
  // must lie within 4 standard errors of 0 (a false failure has probability ~6e-5); the
  // biased one is shifted by (E k(x, x) - E k(x, x')) (1/m + 1/n) > 0, here more than 20
  // standard errors.
  const int pairs = 400;
  std::vector<double> unbiased, biased;
  for (int p = 0; p < pairs; ++p) {
    const Features x = normal_set(20, 4, 0.0, 100 + 2 * p), y = normal_set(20, 4, 0.0, 101 + 2 * p);
    unbiased.push_back(gan::eval::mmd2_unbiased(x, y));
    biased.push_back(gan::eval::mmd2_biased(x, y));
  }
  const auto mean_and_error = [](const std::vector<double>& v) {
    double m = 0, s = 0;
    for (double e : v) m += e;
    m /= static_cast<double>(v.size());
    for (double e : v) s += (e - m) * (e - m);
    return std::make_pair(m, std::sqrt(s / static_cast<double>(v.size() - 1)) /
                                 std::sqrt(static_cast<double>(v.size())));
  };
  const auto [mu, se] = mean_and_error(unbiased);
  const auto [mb, seb] = mean_and_error(biased);
  INFO("unbiased " << mu << " +- " << se << ", biased " << mb << " +- " << seb);
  REQUIRE(std::abs(mu) < 4 * se);
  REQUIRE(mb > 20 * seb);
}

TEST_CASE("KID separates shifted distributions", "[eval][kid]") {
  const Features x = normal_set(500, 8, 0.0, 3), same = normal_set(500, 8, 0.0, 4),
                 shifted = normal_set(500, 8, 0.5, 5);
  const double near = gan::eval::kid(x, same).mean, far = gan::eval::kid(x, shifted).mean;
  REQUIRE(far > 0.1);
  REQUIRE(std::abs(near) < far / 20);
}

TEST_CASE("KID over subsets averages unbiased estimates of random subsets", "[eval][kid]") {
  const Features x = normal_set(400, 6, 0.0, 6), y = normal_set(300, 6, 0.3, 7);
  gan::eval::KidOptions o;
  o.subsets = 20;
  o.subset_size = 100;
  o.seed = 9;
  const auto r = gan::eval::kid(x, y, o);
  REQUIRE(r.subsets == 20);
  REQUIRE(r.subset_size == 100);
  REQUIRE(r.std > 0);
  // The same seed gives the same subsets; the subset mean estimates the same MMD^2.
  REQUIRE(gan::eval::kid(x, y, o).mean == r.mean);
  const double whole = gan::eval::kid(x, y).mean;
  REQUIRE(std::abs(r.mean - whole) < 4 * r.std / std::sqrt(20.0) + 0.05 * whole);
  o.subset_size = 301;
  REQUIRE_THROWS_WITH(
      gan::eval::kid(x, y, o),
      Catch::Contains("subset_size must lie in [2, min(m, n)] = [2, 300], got 301"));
}

TEST_CASE("KID rejects bad feature sets with a clear message", "[eval][kid]") {
  const Features x = normal_set(10, 3, 0, 1), one = normal_set(1, 3, 0, 2),
                 other = normal_set(10, 4, 0, 3);
  REQUIRE_THROWS_AS(gan::eval::kid(x, one), gan::Error);
  REQUIRE_THROWS_WITH(gan::eval::kid(x, one),
                      Catch::Contains("kid: the second features [1, 3]: expected [N >= 2"));
  REQUIRE_THROWS_WITH(gan::eval::mmd2_unbiased(x, other),
                      Catch::Contains("feature dimensions differ: [10, 3] and [10, 4]"));
  const gan::eval::KidReference ref(x);
  gan::eval::GramWorkspace w;
  REQUIRE_THROWS_WITH(ref.mmd2_unbiased(other, w), Catch::Contains("dimensions differ"));
}

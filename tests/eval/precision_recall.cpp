#include "gan/eval/precision_recall.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "gan/core/rng.hpp"

namespace {
using gan::eval::Features;

Features points(std::initializer_list<std::initializer_list<double>> rows) {
  Features f(static_cast<gan::index_t>(rows.size()),
             static_cast<gan::index_t>(rows.begin()->size()));
  gan::index_t i = 0;
  for (const auto& r : rows) {
    gan::index_t j = 0;
    for (double v : r) f(i, j++) = v;
    ++i;
  }
  return f;
}

// The definition, with square roots and sorting: radius = distance to the k-th nearest
// other point; a point is inside a set's manifold if it lies in some ball of that set.
std::vector<double> naive_radii(const Features& f, gan::index_t k) {
  std::vector<double> r;
  for (gan::index_t i = 0; i < f.rows(); ++i) {
    std::vector<double> d;
    for (gan::index_t j = 0; j < f.rows(); ++j)
      if (j != i) d.push_back((f.row(i) - f.row(j)).norm());
    std::sort(d.begin(), d.end());
    r.push_back(d[static_cast<std::size_t>(k - 1)]);
  }
  return r;
}
double naive_share_inside(const Features& queries, const Features& set, gan::index_t k) {
  const auto radii = naive_radii(set, k);
  int inside = 0;
  for (gan::index_t i = 0; i < queries.rows(); ++i)
    for (gan::index_t j = 0; j < set.rows(); ++j)
      if ((queries.row(i) - set.row(j)).norm() <=
          radii[static_cast<std::size_t>(j)] * (1 + 1e-12)) {
        ++inside;
        break;
      }
  return static_cast<double>(inside) / static_cast<double>(queries.rows());
}
}  // namespace

TEST_CASE("precision and recall on 1-d point sets with known answers", "[eval][precision_recall]") {
  // Real: 0, 1, ..., 9; with k = 1 every real ball has radius 1.
  Features real(10, 1);
  for (int i = 0; i < 10; ++i) real(i, 0) = i;
  SECTION("generated on the real points: both 1") {
    const auto pr = gan::eval::precision_recall(real, real, 1);
    REQUIRE(pr.precision == 1.0);
    REQUIRE(pr.recall == 1.0);
  }
  SECTION("a tight cluster near 2: precision 1, recall 1/10") {
    // Generated 1.9, 2.0, 2.1: inside real balls; their own balls have radius 0.1 (k = 1)
    // or 0.2 (k = 2), covering the real point 2 only.
    const Features g = points({{1.9}, {2.0}, {2.1}});
    auto pr = gan::eval::precision_recall(real, g, 1);
    REQUIRE(pr.precision == 1.0);
    REQUIRE(pr.recall == Approx(0.1));
    pr = gan::eval::precision_recall(real, g, 2);
    REQUIRE(pr.recall == Approx(0.1));
  }
  SECTION("half the samples far away: precision 1/2") {
    // 0.5 and 3.2 lie within 1 of a real point; 100 and -50 do not. The generated k = 1
    // radii: 2.7, 2.7, 96.8, 50.5: the outliers' huge balls cover every real point, the
    // known weakness of k-NN manifolds that Kynkäänniemi et al. discuss (section 3).
    const Features g = points({{0.5}, {3.2}, {100}, {-50}});
    const auto pr = gan::eval::precision_recall(real, g, 1);
    REQUIRE(pr.precision == 0.5);
    REQUIRE(pr.recall == 1.0);
  }
}

TEST_CASE("precision and recall on 2-d clusters with k = 3", "[eval][precision_recall]") {
  // Real: two unit squares of 3 x 3 grid points (spacing 0.5) at x = 0 and x = 10.
  // Generated: the first square's 9 points only (mode collapse) plus 1 point far away.
  Features real(18, 2), gen(10, 2);
  int n = 0;
  for (double ox : {0.0, 10.0})
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) real.row(n++) << ox + 0.5 * a, 0.5 * b;
  for (int i = 0; i < 9; ++i) gen.row(i) = real.row(i);
  gen.row(9) << 20, 0.5;
  const auto pr = gan::eval::precision_recall(real, gen, 3);
  // 9 of 10 generated points sit on real points (inside balls of radius <= 0.71); the
  // outlier at (20, 0.5) is 9 from the nearest real point.
  REQUIRE(pr.precision == Approx(0.9));
  // The outlier's ball (radius = its 3rd-nearest generated distance, |(20, .5) - (1, 0)| =
  // 19.007) holds the whole far square (at most 10.01 away), so recall is 1: with k-NN
  // balls a single outlier can inflate recall (Kynkaanniemi et al. 2019, section 3).
  REQUIRE(pr.recall == 1.0);
  // Without the outlier, recall is the covered square's share: 1/2.
  const Features nine = gen.topRows(9);
  REQUIRE(gan::eval::precision_recall(real, nine, 3).recall == Approx(0.5));
  REQUIRE(gan::eval::precision_recall(real, nine, 3).precision == 1.0);
}

TEST_CASE("precision_recall matches the definition on random sets", "[eval][precision_recall]") {
  gan::Rng rng(3);
  // Sizes beyond one 256-row block, to cross block boundaries.
  Features real(300, 5), gen(270, 5);
  for (gan::index_t i = 0; i < real.size(); ++i) real.data()[i] = rng.normal();
  for (gan::index_t i = 0; i < gen.size(); ++i) gen.data()[i] = 1.3 * rng.normal() + 0.4;
  for (gan::index_t k : {1, 3, 5}) {
    const auto pr = gan::eval::precision_recall(real, gen, k);
    INFO("k = " << k);
    REQUIRE(pr.precision == Approx(naive_share_inside(gen, real, k)));
    REQUIRE(pr.recall == Approx(naive_share_inside(real, gen, k)));
  }
  const gan::eval::KnnManifold m(real, 3);
  const auto radii = naive_radii(real, 3);
  for (gan::index_t i = 0; i < real.rows(); ++i)
    REQUIRE(std::sqrt(m.squared_radii()[i]) == Approx(radii[static_cast<std::size_t>(i)]));
}

TEST_CASE("precision_recall rejects sets too small for k-NN with a clear message",
          "[eval][precision_recall]") {
  Features three(3, 2), four(4, 2), other(5, 3);
  three.setRandom();
  four.setRandom();
  other.setRandom();
  REQUIRE_THROWS_AS(gan::eval::precision_recall(four, three, 3), gan::Error);
  REQUIRE_THROWS_WITH(
      gan::eval::precision_recall(four, three, 3),
      Catch::Contains("KnnManifold (k = 3): the features [3, 2]: expected [N >= 4"));
  REQUIRE_NOTHROW(gan::eval::precision_recall(four, four, 3));
  REQUIRE_THROWS_WITH(gan::eval::precision_recall(four, four, 0),
                      Catch::Contains("k must be >= 1, got 0"));
  REQUIRE_THROWS_WITH(gan::eval::precision_recall(four, other, 3),
                      Catch::Contains("feature dimensions differ: [4, 2] and [5, 3]"));
}

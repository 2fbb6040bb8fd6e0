#include "gan/eval/fid.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "gan/core/rng.hpp"

namespace {
using gan::eval::Features;
using gan::eval::Matrix;

// n samples of N(mean, L L^T): x = mean + L z, z ~ N(0, I).
Features draw_gaussian(const Eigen::VectorXd& mean, const Matrix& chol, gan::index_t n,
                       std::uint64_t seed) {
  gan::Rng rng(seed);
  const auto d = mean.size();
  Features f(n, d);
  Eigen::VectorXd z(d);
  for (gan::index_t i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) z[j] = rng.normal();
    f.row(i) = (mean + chol * z).transpose();
  }
  return f;
}

// For 2 x 2 SPD matrices: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)), and
// tr((S1^1/2 S2 S1^1/2)^1/2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)).
double closed_form_2d(const Eigen::Vector2d& m1, const Matrix& s1, const Eigen::Vector2d& m2,
                      const Matrix& s2) {
  const double cross =
      std::sqrt((s1 * s2).trace() + 2 * std::sqrt(s1.determinant() * s2.determinant()));
  return (m1 - m2).squaredNorm() + s1.trace() + s2.trace() - 2 * cross;
}

gan::eval::Gaussian gaussian(Eigen::VectorXd mean, Matrix cov) {
  gan::eval::Gaussian g;
  g.mean = std::move(mean);
  g.cov = std::move(cov);
  return g;
}
}  // namespace

TEST_CASE("fit_gaussian gives the mean and the unbiased covariance", "[eval][fid]") {
  Features f(4, 2);
  f << 1, 2, 3, 6, 5, 4, 7, 0;
  const auto g = gan::eval::fit_gaussian(f);
  REQUIRE(g.count == 4);
  REQUIRE(g.mean[0] == Approx(4));
  REQUIRE(g.mean[1] == Approx(3));
  // Centred: (-3,-1), (-1,3), (1,1), (3,-3); sums of products / (N - 1) = 3:
  // 20 / 3 on the diagonal, (3 - 3 + 1 - 9) / 3 off it.
  REQUIRE(g.cov(0, 0) == Approx(20.0 / 3));
  REQUIRE(g.cov(1, 1) == Approx(20.0 / 3));
  REQUIRE(g.cov(0, 1) == Approx(-8.0 / 3));
  REQUIRE(g.cov(1, 0) == Approx(-8.0 / 3));
}

TEST_CASE("FID of a set against itself is ~0", "[eval][fid]") {
  Matrix chol = Matrix::Identity(16, 16);
  for (int i = 1; i < 16; ++i) chol(i, i - 1) = 0.5;
  const Features f = draw_gaussian(Eigen::VectorXd::Constant(16, 3.0), chol, 500, 1);
  const double trace = gan::eval::fit_gaussian(f).cov.trace();
  // Rounding of a 16 x 16 eigen-decomposition: ~1e-15 relative to the trace.
  REQUIRE(std::abs(gan::eval::fid(f, f)) < 1e-10 * trace);
}

TEST_CASE("frechet_distance matches the closed form for known Gaussians", "[eval][fid]") {
  SECTION("diagonal covariances: |dm|^2 + sum (sqrt a - sqrt b)^2") {
    Eigen::VectorXd m1(3), m2(3), a(3), b(3);
    m1 << 0, 1, 2;
    m2 << 1, 1, 0;
    a << 1, 4, 9;
    b << 4, 1, 0.25;
    const double expected = 5 + 1 + 1 + 6.25;
    const double d = gan::eval::frechet_distance(gaussian(m1, a.asDiagonal().toDenseMatrix()),
                                                 gaussian(m2, b.asDiagonal().toDenseMatrix()));
    REQUIRE(d == Approx(expected).epsilon(1e-12));
  }
  SECTION("2-d covariances that do not commute") {
    Eigen::Vector2d m1(0.5, -1), m2(2, 1);
    Matrix s1(2, 2), s2(2, 2);
    s1 << 2, 0.7, 0.7, 1;
    s2 << 0.5, -0.3, -0.3, 3;
    REQUIRE((s1 * s2 - s2 * s1).norm() > 0.1);
    const double d = gan::eval::frechet_distance(gaussian(m1, s1), gaussian(m2, s2));
    REQUIRE(d == Approx(closed_form_2d(m1, s1, m2, s2)).epsilon(1e-12));
    // Symmetric in its arguments.
    REQUIRE(gan::eval::frechet_distance(gaussian(m2, s2), gaussian(m1, s1)) ==
            Approx(d).epsilon(1e-12));
  }
  SECTION("fid of samples converges to the closed form") {
    Eigen::Vector2d m1(0, 0), m2(1.5, -0.5);
    Matrix s1(2, 2), s2(2, 2);
    s1 << 1, 0.6, 0.6, 1;
    s2 << 2, -0.5, -0.5, 0.5;
    const Matrix l1 = s1.llt().matrixL(), l2 = s2.llt().matrixL();
    const Features a = draw_gaussian(m1, l1, 40000, 2), b = draw_gaussian(m2, l2, 40000, 3);
    // Sampling error of means and covariances at N = 40000: ~1 % of the distance here.
    REQUIRE(gan::eval::fid(a, b) == Approx(closed_form_2d(m1, s1, m2, s2)).epsilon(0.03));
  }
}

TEST_CASE("FID clamps the negative eigenvalues of singular covariances", "[eval][fid]") {
  // 5 samples in 12 dimensions: rank-4 covariances, 8 zero eigenvalues each, which
  // rounding pushes to either side of 0.
  Matrix chol = Matrix::Identity(12, 12);
  const Features a = draw_gaussian(Eigen::VectorXd::Zero(12), chol, 5, 4);
  const Features b = draw_gaussian(Eigen::VectorXd::Zero(12), chol, 5, 5);
  const auto ga = gan::eval::fit_gaussian(a), gb = gan::eval::fit_gaussian(b);
  const auto parts = gan::eval::FrechetReference(ga).parts(gb);
  REQUIRE(std::isfinite(parts.distance()));
  REQUIRE(parts.distance() > 0);
  REQUIRE(parts.most_negative <= 0);
  REQUIRE(parts.most_negative > -1e-10);
  // Against itself: the zero eigenvalues carry rounding of ~1e-16 of the largest, and
  // their square roots ~1e-8 each, so a singular covariance's FID is exact only to
  // ~d * 1e-8 * its scale (here d = 12, scale ~1).
  REQUIRE(std::abs(gan::eval::fid(a, a)) < 1e-6);
}

TEST_CASE("FrechetReference scores many sets as frechet_distance does", "[eval][fid]") {
  Matrix chol = Matrix::Identity(6, 6);
  chol(3, 1) = 0.8;
  const Features r = draw_gaussian(Eigen::VectorXd::Zero(6), chol, 300, 6);
  const gan::eval::FrechetReference ref(gan::eval::fit_gaussian(r));
  gan::eval::GaussianWorkspace w;
  gan::eval::Gaussian g;
  for (std::uint64_t seed : {7, 8}) {
    const Features f = draw_gaussian(Eigen::VectorXd::Constant(6, 0.3), chol, 200, seed);
    gan::eval::fit_gaussian(f, g, w);
    REQUIRE(ref.distance(g, w) == Approx(gan::eval::fid(r, f)).epsilon(1e-12));
  }
}

TEST_CASE("FID rejects bad feature sets with a clear message", "[eval][fid]") {
  Features one(1, 3), two(2, 3), other(4, 2), empty(0, 3);
  one.setZero();
  two.setZero();
  other.setZero();
  REQUIRE_THROWS_AS(gan::eval::fid(one, two), gan::Error);
  REQUIRE_THROWS_WITH(gan::eval::fid(one, two),
                      Catch::Contains("features [1, 3]: expected [N >= 2, d >= 1]"));
  REQUIRE_THROWS_WITH(gan::eval::fid(empty, two), Catch::Contains("[0, 3]"));
  REQUIRE_THROWS_WITH(gan::eval::fid(two, other),
                      Catch::Contains("fid: feature dimensions differ: [2, 3] and [4, 2]"));
  two(1, 2) = std::nan("");
  REQUIRE_THROWS_WITH(gan::eval::fit_gaussian(two), Catch::Contains("NaN or an infinity"));
  gan::eval::Gaussian bad;
  bad.mean = Eigen::VectorXd::Zero(3);
  bad.cov = Matrix::Zero(2, 2);
  REQUIRE_THROWS_WITH(gan::eval::FrechetReference(bad),
                      Catch::Contains("covariance [d, d], got mean [3] and covariance [2, 2]"));
}

#include "gan/kernels/batch_norm.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/core/rng.hpp"
#include "support.hpp"

namespace {

using test_support::same_bits;

using gan::index_t;
namespace k = gan::kernels;

struct Case {
  index_t n, channels, plane;
};

// Batch 1 and > 1, a plane of 1 (BatchNorm after a 1x1 feature map), planes below, across
// and well above every SIMD width.
const std::vector<Case> kCases = {{4, 3, 15}, {1, 2, 33}, {3, 5, 1}, {2, 4, 1001}, {5, 1, 7}};

template <class T>
std::vector<T> uniform(index_t n, double lo, double hi, std::uint64_t seed) {
  gan::Rng rng(seed);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (T& x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

// Element (i, c, p) of [N, C, plane] memory.
std::size_t at(const Case& s, index_t i, index_t c, index_t p) {
  return static_cast<std::size_t>((i * s.channels + c) * s.plane + p);
}

struct ThreadsGuard {
  int saved = gan::num_threads();
  ~ThreadsGuard() { gan::set_num_threads(saved); }
};

}  // namespace

TEMPLATE_TEST_CASE("batch_norm_stats matches a two-pass mean and biased variance",
                   "[kernels][batch_norm]", float, double) {
  using T = TestType;
  const long double eps = std::numeric_limits<T>::epsilon();
  for (const Case& s : kCases) {
    INFO("n = " << s.n << ", channels = " << s.channels << ", plane = " << s.plane);
    // An offset of 3 makes a one-pass E[x^2] - E[x]^2 lose digits a two-pass sum keeps.
    const std::vector<T> x = uniform<T>(s.n * s.channels * s.plane, 2.0, 4.0, 7 + s.plane);
    std::vector<T> mean(static_cast<std::size_t>(s.channels), T(99));
    std::vector<T> var(static_cast<std::size_t>(s.channels), T(99));
    k::batch_norm_stats(s.n, s.channels, s.plane, x.data(), mean.data(), var.data());
    const index_t m = s.n * s.plane;
    for (index_t c = 0; c < s.channels; ++c) {
      long double sum = 0, abs_sum = 0;
      for (index_t i = 0; i < s.n; ++i)
        for (index_t p = 0; p < s.plane; ++p) {
          sum += x[at(s, i, c, p)];
          abs_sum += std::abs(x[at(s, i, c, p)]);
        }
      const long double mu = sum / m;
      long double sq = 0;
      for (index_t i = 0; i < s.n; ++i)
        for (index_t p = 0; p < s.plane; ++p)
          sq += (x[at(s, i, c, p)] - mu) * (x[at(s, i, c, p)] - mu);
      const long double v = sq / m;
      // Recursive summation of M terms errs by at most (M - 1) eps sum|x| (Higham 2002,
      // eq. 4.4); the second pass adds that bound on the squares plus the square of the
      // error of the mean. A divisor of M - 1 instead of M would be off by v / M, far more.
      const long double mean_tol = (m + 1) * eps * abs_sum / m;
      REQUIRE(std::abs(mean[static_cast<std::size_t>(c)] - mu) <= mean_tol);
      REQUIRE(std::abs(var[static_cast<std::size_t>(c)] - v) <=
              (m + 3) * eps * v + 2 * mean_tol * mean_tol);
    }
  }
}

TEMPLATE_TEST_CASE("batch_norm_apply is x * scale + shift per channel", "[kernels][batch_norm]",
                   float, double) {
  using T = TestType;
  const long double eps = std::numeric_limits<T>::epsilon();
  for (const Case& s : kCases) {
    const std::vector<T> x = uniform<T>(s.n * s.channels * s.plane, -2.0, 2.0, 3);
    const std::vector<T> scale = uniform<T>(s.channels, 0.5, 2.0, 4);
    const std::vector<T> shift = uniform<T>(s.channels, -1.0, 1.0, 5);
    std::vector<T> y(x.size(), T(99));
    k::batch_norm_apply(s.n, s.channels, s.plane, x.data(), scale.data(), shift.data(), y.data());
    for (index_t i = 0; i < s.n; ++i)
      for (index_t c = 0; c < s.channels; ++c)
        for (index_t p = 0; p < s.plane; ++p) {
          const long double a = scale[static_cast<std::size_t>(c)];
          const long double b = shift[static_cast<std::size_t>(c)];
          const long double xv = x[at(s, i, c, p)];
          // One product and one sum (possibly fused): an ulp of the terms.
          REQUIRE(std::abs(y[at(s, i, c, p)] - (xv * a + b)) <=
                  2 * eps * (std::abs(xv * a) + std::abs(b)));
        }
  }
}

TEMPLATE_TEST_CASE("batch_norm_backward with fixed statistics is gamma * invstd * dy exactly",
                   "[kernels][batch_norm]", float, double) {
  using T = TestType;
  const long double eps = std::numeric_limits<T>::epsilon();
  for (const Case& s : kCases) {
    INFO("n = " << s.n << ", channels = " << s.channels << ", plane = " << s.plane);
    const index_t size = s.n * s.channels * s.plane, m = s.n * s.plane;
    const std::vector<T> x = uniform<T>(size, -2.0, 2.0, 11);
    const std::vector<T> dy = uniform<T>(size, -1.0, 1.0, 12);
    const std::vector<T> mean = uniform<T>(s.channels, -0.5, 0.5, 13);
    const std::vector<T> invstd = uniform<T>(s.channels, 0.5, 2.0, 14);
    const std::vector<T> gamma = uniform<T>(s.channels, -1.5, 1.5, 15);
    const std::vector<T> dgamma0 = uniform<T>(s.channels, -1.0, 1.0, 16);
    const std::vector<T> dbeta0 = uniform<T>(s.channels, -1.0, 1.0, 17);
    std::vector<T> dx(x.size(), T(99)), dgamma = dgamma0, dbeta = dbeta0;
    k::batch_norm_backward(s.n, s.channels, s.plane, x.data(), dy.data(), mean.data(),
                           invstd.data(), gamma.data(), false, dx.data(), dgamma.data(),
                           dbeta.data());
    for (index_t c = 0; c < s.channels; ++c) {
      const std::size_t cc = static_cast<std::size_t>(c);
      long double sum_dy = 0, sum_dy_xhat = 0, abs_dy = 0, abs_dy_xhat = 0;
      for (index_t i = 0; i < s.n; ++i)
        for (index_t p = 0; p < s.plane; ++p) {
          const std::size_t j = at(s, i, c, p);
          REQUIRE(dx[j] == gamma[cc] * invstd[cc] * dy[j]);
          const long double xhat = (static_cast<long double>(x[j]) - mean[cc]) * invstd[cc];
          sum_dy += dy[j];
          sum_dy_xhat += dy[j] * xhat;
          abs_dy += std::abs(dy[j]);
          abs_dy_xhat += std::abs(dy[j] * xhat);
        }
      // Gradients are added to what was there, each a sum of M terms (Higham's bound).
      REQUIRE(std::abs(dbeta[cc] - (dbeta0[cc] + sum_dy)) <=
              (m + 2) * eps * (abs_dy + std::abs(dbeta0[cc])));
      REQUIRE(std::abs(dgamma[cc] - (dgamma0[cc] + sum_dy_xhat)) <=
              (m + 4) * eps * (abs_dy_xhat + std::abs(dgamma0[cc])));
    }
  }
}

TEMPLATE_TEST_CASE("batch_norm_backward with batch statistics matches the formula",
                   "[kernels][batch_norm]", float, double) {
  using T = TestType;
  const long double eps = std::numeric_limits<T>::epsilon();
  for (const Case& s : kCases) {
    INFO("n = " << s.n << ", channels = " << s.channels << ", plane = " << s.plane);
    const index_t size = s.n * s.channels * s.plane, m = s.n * s.plane;
    const std::vector<T> x = uniform<T>(size, -2.0, 2.0, 21);
    const std::vector<T> dy = uniform<T>(size, -1.0, 1.0, 22);
    const std::vector<T> mean = uniform<T>(s.channels, -0.5, 0.5, 23);
    const std::vector<T> invstd = uniform<T>(s.channels, 0.5, 2.0, 24);
    const std::vector<T> gamma = uniform<T>(s.channels, -1.5, 1.5, 25);
    std::vector<T> dx(x.size(), T(99));
    // Null dgamma / dbeta: a frozen layer asks for dx only.
    k::batch_norm_backward(s.n, s.channels, s.plane, x.data(), dy.data(), mean.data(),
                           invstd.data(), gamma.data(), true, dx.data(), static_cast<T*>(nullptr),
                           static_cast<T*>(nullptr));
    for (index_t c = 0; c < s.channels; ++c) {
      const std::size_t cc = static_cast<std::size_t>(c);
      const long double is = invstd[cc], g = gamma[cc];
      long double sum_dy = 0, sum_dy_xhat = 0, abs_dy = 0, abs_dy_xhat = 0;
      for (index_t i = 0; i < s.n; ++i)
        for (index_t p = 0; p < s.plane; ++p) {
          const std::size_t j = at(s, i, c, p);
          const long double xhat = (x[j] - static_cast<long double>(mean[cc])) * is;
          sum_dy += dy[j];
          sum_dy_xhat += dy[j] * xhat;
          abs_dy += std::abs(dy[j]);
          abs_dy_xhat += std::abs(dy[j] * xhat);
        }
      for (index_t i = 0; i < s.n; ++i)
        for (index_t p = 0; p < s.plane; ++p) {
          const std::size_t j = at(s, i, c, p);
          const long double xhat = (x[j] - static_cast<long double>(mean[cc])) * is;
          const long double ref = g * is / m * (m * dy[j] - sum_dy - xhat * sum_dy_xhat);
          // The sums dominate the rounding: M eps of their absolute terms, scaled as in ref.
          const long double mag =
              std::abs(g * is) / m * (m * std::abs(dy[j]) + abs_dy + std::abs(xhat) * abs_dy_xhat);
          REQUIRE(std::abs(dx[j] - ref) <= 2 * (m + 8) * eps * mag);
        }
    }
  }
}

TEMPLATE_TEST_CASE("batch_norm kernels are bit-identical with 1 and 2 threads",
                   "[kernels][batch_norm]", float, double) {
  using T = TestType;
  ThreadsGuard restore;
  const Case s{3, 7, 211};
  const index_t size = s.n * s.channels * s.plane;
  const std::vector<T> x = uniform<T>(size, -2.0, 3.0, 31);
  const std::vector<T> dy = uniform<T>(size, -1.0, 1.0, 32);
  const std::vector<T> gamma = uniform<T>(s.channels, 0.5, 1.5, 33);
  const std::vector<T> shift = uniform<T>(s.channels, -1.0, 1.0, 34);

  auto run = [&](bool batch_stats) {
    std::vector<std::vector<T>> out(6);
    for (std::size_t i = 0; i < 6; ++i) out[i].assign(i < 2 || i >= 4 ? s.channels : size, T(0));
    k::batch_norm_stats(s.n, s.channels, s.plane, x.data(), out[0].data(), out[1].data());
    std::vector<T> invstd(static_cast<std::size_t>(s.channels));
    for (std::size_t c = 0; c < invstd.size(); ++c)
      invstd[c] = T(1) / std::sqrt(out[1][c] + T(1e-5));
    k::batch_norm_apply(s.n, s.channels, s.plane, x.data(), gamma.data(), shift.data(),
                        out[2].data());
    k::batch_norm_backward(s.n, s.channels, s.plane, x.data(), dy.data(), out[0].data(),
                           invstd.data(), gamma.data(), batch_stats, out[3].data(), out[4].data(),
                           out[5].data());
    return out;
  };
  for (bool batch_stats : {true, false}) {
    gan::set_num_threads(1);
    const auto one = run(batch_stats);
    gan::set_num_threads(2);
    const auto two = run(batch_stats);
    for (std::size_t i = 0; i < one.size(); ++i) {
      INFO("output " << i << ", batch_stats = " << batch_stats);
      REQUIRE(same_bits(one[i], two[i]));
    }
  }
}

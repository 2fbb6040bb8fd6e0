#include "gan/kernels/elementwise.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/core/rng.hpp"
#include "support.hpp"

namespace {

using test_support::same_bits;

using gan::index_t;
namespace k = gan::kernels;

// Sizes below, at and above every SIMD width, and one of several 4096-element blocks with
// a ragged last block, so the parallel blocked path and every scalar tail run.
const std::vector<index_t> kSizes = {1, 7, 33, 1001, 3 * 4096 + 37};

template <class T>
std::vector<T> uniform(index_t n, double lo, double hi, std::uint64_t seed) {
  gan::Rng rng(seed);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (T& x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

// Inputs for the piecewise-linear maps, with exact zeros and negative zeros mixed in so
// the kink itself is covered (x > 0 is false at 0: the negative branch applies).
template <class T>
std::vector<T> with_zeros(index_t n, std::uint64_t seed) {
  std::vector<T> v = uniform<T>(n, -3.0, 3.0, seed);
  for (std::size_t i = 0; i < v.size(); i += 5) v[i] = (i % 2) ? T(-0.0) : T(0);
  return v;
}

// Tolerance of the exp- and tanh-based maps, in one place: xsimd's exp and tanh are
// accurate to about 1 ulp, and sigmoid adds one addition, one division and (for x < 0)
// one product, each rounding by half an ulp; the reference is evaluated in long double
// and rounded once. So |got - ref| <= 4 ulps of |ref| holds for a correct kernel, while
// a wrong branch, sign or formula is off by far more. sigmoid' = y (1 - y) and
// tanh' = 1 - y^2 are plain products and differences: there the bound is a few ulps of
// the magnitude of the terms (|dy| y (1 + y), |dy| (1 + y^2)), which also covers a fused
// multiply-add and the cancellation in 1 - y^2 near |y| = 1.
constexpr double kUlps = 4.0;

template <class T>
bool close_relative(T got, long double ref) {
  const long double eps = std::numeric_limits<T>::epsilon();
  return std::abs(static_cast<long double>(got) - ref) <= kUlps * eps * std::abs(ref);
}
template <class T>
bool close_to_terms(T got, long double ref, long double magnitude) {
  const long double eps = std::numeric_limits<T>::epsilon();
  return std::abs(static_cast<long double>(got) - ref) <= kUlps * eps * magnitude;
}

long double sigmoid_ref(long double x) { return 1.0L / (1.0L + std::exp(-x)); }

struct ThreadsGuard {
  int saved = gan::num_threads();
  ~ThreadsGuard() { gan::set_num_threads(saved); }
};

}  // namespace

TEMPLATE_TEST_CASE("relu and leaky_relu match the scalar definition exactly",
                   "[kernels][elementwise]", float, double) {
  using T = TestType;
  const T slope = T(0.2);
  for (index_t n : kSizes) {
    INFO("n = " << n);
    const std::vector<T> x = with_zeros<T>(n, 1 + n);
    const std::vector<T> dy = uniform<T>(n, -2.0, 2.0, 2 + n);
    std::vector<T> y(x.size(), T(99)), dx(x.size(), T(99)), ly(x.size(), T(99)),
        ldx(x.size(), T(99));
    k::relu_forward(n, x.data(), y.data());
    k::relu_backward(n, x.data(), dy.data(), dx.data());
    k::leaky_relu_forward(n, slope, x.data(), ly.data());
    k::leaky_relu_backward(n, slope, x.data(), dy.data(), ldx.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
      INFO("i = " << i << ", x = " << x[i]);
      REQUIRE(y[i] == std::max(x[i], T(0)));
      REQUIRE(dx[i] == (x[i] > 0 ? dy[i] : T(0)));
      REQUIRE(ly[i] == (x[i] > 0 ? x[i] : slope * x[i]));
      REQUIRE(ldx[i] == (x[i] > 0 ? dy[i] : slope * dy[i]));
    }
  }
}

TEMPLATE_TEST_CASE("leaky_relu and relu work in place", "[kernels][elementwise]", float, double) {
  using T = TestType;
  const std::vector<T> x = with_zeros<T>(1001, 5);
  std::vector<T> a = x, b = x;
  k::leaky_relu_forward(1001, T(0.01), a.data(), a.data());
  k::relu_forward(1001, b.data(), b.data());
  for (std::size_t i = 0; i < x.size(); ++i) {
    REQUIRE(a[i] == (x[i] > 0 ? x[i] : T(0.01) * x[i]));
    REQUIRE(b[i] == std::max(x[i], T(0)));
  }
}

TEMPLATE_TEST_CASE("sigmoid and tanh match std:: to a few ulps", "[kernels][elementwise]", float,
                   double) {
  using T = TestType;
  for (index_t n : kSizes) {
    INFO("n = " << n);
    // Both signs (sigmoid takes a different branch for x < 0) and values far enough out
    // that tanh rounds to +-1 and sigmoid(-x) is tiny but still a normal number.
    const std::vector<T> x = uniform<T>(n, -30.0, 30.0, 10 + n);
    const std::vector<T> small = uniform<T>(n, -2.0, 2.0, 11 + n);
    std::vector<T> s(x.size()), t(x.size()), s2(x.size()), t2(x.size());
    k::sigmoid_forward(n, x.data(), s.data());
    k::tanh_forward(n, x.data(), t.data());
    k::sigmoid_forward(n, small.data(), s2.data());
    k::tanh_forward(n, small.data(), t2.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
      INFO("x = " << x[i] << ", small = " << small[i]);
      REQUIRE(close_relative(s[i], sigmoid_ref(x[i])));
      REQUIRE(close_relative(t[i], std::tanh(static_cast<long double>(x[i]))));
      REQUIRE(close_relative(s2[i], sigmoid_ref(small[i])));
      REQUIRE(close_relative(t2[i], std::tanh(static_cast<long double>(small[i]))));
    }
  }
}

TEMPLATE_TEST_CASE("sigmoid and tanh backward match the scalar formulas", "[kernels][elementwise]",
                   float, double) {
  using T = TestType;
  for (index_t n : kSizes) {
    INFO("n = " << n);
    const std::vector<T> s = uniform<T>(n, 0.0, 1.0, 20 + n);   // sigmoid outputs
    const std::vector<T> t = uniform<T>(n, -1.0, 1.0, 21 + n);  // tanh outputs
    const std::vector<T> dy = uniform<T>(n, -3.0, 3.0, 22 + n);
    std::vector<T> ds(s.size(), T(99)), dt(t.size(), T(99));
    k::sigmoid_backward(n, s.data(), dy.data(), ds.data());
    k::tanh_backward(n, t.data(), dy.data(), dt.data());
    for (std::size_t i = 0; i < s.size(); ++i) {
      const long double g = dy[i], y = s[i], u = t[i];
      INFO("dy = " << dy[i] << ", s = " << s[i] << ", t = " << t[i]);
      REQUIRE(close_to_terms(ds[i], g * y * (1 - y), std::abs(g) * y * (1 + y)));
      REQUIRE(close_to_terms(dt[i], g * (1 - u * u), std::abs(g) * (1 + u * u)));
    }
  }
}

TEMPLATE_TEST_CASE("sigmoid and tanh are finite and reach their limits at extreme inputs",
                   "[kernels][elementwise]", float, double) {
  using T = TestType;
  const T inf = std::numeric_limits<T>::infinity();
  const std::vector<T> extremes = {T(100), T(-100), T(1e4), T(-1e4), inf, -inf};
  // 6 * 7 = 42 values: the extremes land in full SIMD batches and in the scalar tail.
  std::vector<T> x;
  for (int r = 0; r < 7; ++r) x.insert(x.end(), extremes.begin(), extremes.end());
  const index_t n = static_cast<index_t>(x.size());
  std::vector<T> s(x.size()), t(x.size()), ds(x.size()), dt(x.size());
  const std::vector<T> ones(x.size(), T(1));
  k::sigmoid_forward(n, x.data(), s.data());
  k::tanh_forward(n, x.data(), t.data());
  k::sigmoid_backward(n, s.data(), ones.data(), ds.data());
  k::tanh_backward(n, t.data(), ones.data(), dt.data());
  for (std::size_t i = 0; i < x.size(); ++i) {
    INFO("x = " << x[i] << ", sigmoid = " << s[i] << ", tanh = " << t[i]);
    REQUIRE(std::isfinite(s[i]));
    REQUIRE(std::isfinite(ds[i]));
    REQUIRE(std::isfinite(dt[i]));
    REQUIRE(t[i] == (x[i] > 0 ? T(1) : T(-1)));  // tanh(100) is 1 to within 1e-86
    REQUIRE(dt[i] == T(0));
    if (x[i] > 0) {
      REQUIRE(s[i] == T(1));  // 1 - sigmoid(100) = 3.7e-44, far below half an ulp of 1
      REQUIRE(ds[i] == T(0));
    } else if (x[i] < T(-1000)) {
      REQUIRE(s[i] == T(0));  // e^-1e4 underflows to 0 in any precision
      REQUIRE(ds[i] == T(0));
    } else {
      // sigmoid(-100) = 3.72e-44: a normal double; in float it is subnormal (or flushed).
      REQUIRE(s[i] >= T(0));
      REQUIRE(s[i] <= T(4e-44));
      if (std::is_same_v<T, double>) REQUIRE(close_relative(s[i], sigmoid_ref(-100.0L)));
    }
  }
}

TEST_CASE("add_row_bias and add_column_sums match plain loops exactly", "[kernels][elementwise]") {
  for (index_t cols : {index_t(1), index_t(7), index_t(33), index_t(1001)}) {
    for (index_t rows : {index_t(1), index_t(3)}) {
      INFO("rows = " << rows << ", cols = " << cols);
      const std::vector<double> y0 = uniform<double>(rows * cols, -1.0, 1.0, 30 + cols);
      const std::vector<double> bias = uniform<double>(cols, -1.0, 1.0, 31 + cols);
      std::vector<double> y = y0;
      k::add_row_bias(rows, cols, bias.data(), y.data());
      for (index_t r = 0; r < rows; ++r)
        for (index_t c = 0; c < cols; ++c) {
          const std::size_t i = static_cast<std::size_t>(r * cols + c);
          REQUIRE(y[i] == y0[i] + bias[static_cast<std::size_t>(c)]);
        }

      // Adds into existing sums, rows in order: the same additions as this loop.
      const std::vector<double> start = uniform<double>(cols, -1.0, 1.0, 32 + cols);
      std::vector<double> sums = start;
      k::add_column_sums(rows, cols, y0.data(), sums.data());
      for (index_t c = 0; c < cols; ++c) {
        double s = start[static_cast<std::size_t>(c)];
        for (index_t r = 0; r < rows; ++r) s += y0[static_cast<std::size_t>(r * cols + c)];
        REQUIRE(sums[static_cast<std::size_t>(c)] == s);
      }
    }
  }
  // float too: a single addition per element is exact to compare.
  const std::vector<float> y0 = uniform<float>(2 * 33, -1.0, 1.0, 40);
  const std::vector<float> bias = uniform<float>(33, -1.0, 1.0, 41);
  std::vector<float> y = y0, sums(33, 0.5f);
  k::add_row_bias(2, 33, bias.data(), y.data());
  k::add_column_sums(2, 33, y0.data(), sums.data());
  for (std::size_t c = 0; c < 33; ++c) {
    REQUIRE(y[c] == y0[c] + bias[c]);
    REQUIRE(y[33 + c] == y0[33 + c] + bias[c]);
    REQUIRE(sums[c] == (0.5f + y0[c]) + y0[33 + c]);
  }
}

TEMPLATE_TEST_CASE("element-wise maps are bit-identical with 1 and 2 threads",
                   "[kernels][elementwise]", float, double) {
  using T = TestType;
  ThreadsGuard restore;
  // 25 blocks of 4096 and a ragged one: each thread gets several blocks.
  const index_t n = 25 * 4096 + 13;
  const std::vector<T> x = uniform<T>(n, -8.0, 8.0, 50);
  const std::vector<T> dy = uniform<T>(n, -1.0, 1.0, 51);
  const std::vector<T> s = uniform<T>(n, 0.0, 1.0, 52);

  auto run_all = [&] {
    std::vector<std::vector<T>> out(8, std::vector<T>(x.size()));
    k::leaky_relu_forward(n, T(0.2), x.data(), out[0].data());
    k::leaky_relu_backward(n, T(0.2), x.data(), dy.data(), out[1].data());
    k::relu_forward(n, x.data(), out[2].data());
    k::relu_backward(n, x.data(), dy.data(), out[3].data());
    k::sigmoid_forward(n, x.data(), out[4].data());
    k::sigmoid_backward(n, s.data(), dy.data(), out[5].data());
    k::tanh_forward(n, x.data(), out[6].data());
    k::tanh_backward(n, s.data(), dy.data(), out[7].data());
    return out;
  };
  gan::set_num_threads(1);
  const auto one = run_all();
  gan::set_num_threads(2);
  const auto two = run_all();
  for (std::size_t m = 0; m < one.size(); ++m) {
    INFO("map " << m);
    REQUIRE(same_bits(one[m], two[m]));
  }
  // And the parallel result is still the right one.
  for (std::size_t i = 0; i < x.size(); i += 997)
    REQUIRE(close_relative(two[4][i], sigmoid_ref(x[i])));
}

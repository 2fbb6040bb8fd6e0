// Both GEMM overloads against a naive triple loop accumulated in long double, over odd
// sizes (including sizes beyond the packed kernel's MC/KC/NC blocks), all four transposes,
// alpha/beta, padded strides; the packed one also for thread-count invariance and for
// staying inside its workspace.

#include "gan/kernels/gemm.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gan/core/parallel.hpp"

namespace {

using gan::index_t;

struct Case {
  index_t m, n, k;
};

// A spread of small, odd and large sizes; the last rows cross MC (240 rows),
// KC (256) and NC (1024 columns) so every blocking loop runs more than once.
const std::vector<Case> kCases = {{1, 1, 1},      {1, 7, 5},     {2, 5, 7},      {5, 2, 1},
                                  {7, 17, 33},    {17, 33, 64},  {33, 64, 17},   {64, 100, 129},
                                  {100, 129, 2},  {129, 1, 100}, {129, 100, 33}, {5, 129, 129},
                                  {250, 40, 300}, {3, 3100, 5}};

template <class T>
struct Problem {
  bool ta, tb;
  index_t m, n, k, lda, ldb, ldc;
  std::vector<T> a, b, c0;

  Problem(bool ta_, bool tb_, Case s, std::mt19937& rng)
      : ta(ta_), tb(tb_), m(s.m), n(s.n), k(s.k) {
    // Stored shapes with padded row strides: A [m, k] or [k, m], B [k, n] or [n, k].
    const index_t a_rows = ta ? k : m, a_cols = ta ? m : k;
    const index_t b_rows = tb ? n : k, b_cols = tb ? k : n;
    lda = a_cols + 3;
    ldb = b_cols + 1;
    ldc = n + 2;
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    a.resize(static_cast<std::size_t>(a_rows * lda));
    b.resize(static_cast<std::size_t>(b_rows * ldb));
    c0.resize(static_cast<std::size_t>(m * ldc));
    for (auto& x : a) x = static_cast<T>(u(rng));
    for (auto& x : b) x = static_cast<T>(u(rng));
    for (auto& x : c0) x = static_cast<T>(u(rng));
  }
  T op_a(index_t i, index_t p) const { return ta ? a[p * lda + i] : a[i * lda + p]; }
  T op_b(index_t p, index_t j) const { return tb ? b[j * ldb + p] : b[p * ldb + j]; }

  // Checks c (valid part) against the naive product within the forward error bound of a
  // length-k dot product, |err| <= gamma_{k+2} * (|alpha| sum |a b| + |beta c0|) (Higham,
  // "Accuracy and Stability of Numerical Algorithms", eq. 3.5), with a factor 2 of slack;
  // the padding between rows must be untouched.
  void check(T alpha, T beta, const std::vector<T>& c) const {
    const long double eps = std::numeric_limits<T>::epsilon();
    for (index_t i = 0; i < m; ++i) {
      for (index_t j = 0; j < ldc; ++j) {
        const T got = c[static_cast<std::size_t>(i * ldc + j)];
        const T before = c0[static_cast<std::size_t>(i * ldc + j)];
        if (j >= n) {
          REQUIRE(std::memcmp(&got, &before, sizeof(T)) == 0);
          continue;
        }
        long double s = 0, mag = 0;
        for (index_t p = 0; p < k; ++p) {
          s += static_cast<long double>(op_a(i, p)) * op_b(p, j);
          mag += std::fabs(static_cast<long double>(op_a(i, p)) * op_b(p, j));
        }
        const long double cb = beta == T(0) ? 0.0L : static_cast<long double>(beta) * before;
        const long double want = static_cast<long double>(alpha) * s + cb;
        const long double bound =
            2 * (k + 2) * eps * (std::fabs(static_cast<long double>(alpha)) * mag + std::fabs(cb)) +
            std::numeric_limits<T>::min();
        INFO("m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb
                  << " alpha=" << alpha << " beta=" << beta << " at (" << i << ", " << j << ")");
        REQUIRE(std::isfinite(got));
        REQUIRE(std::fabs(static_cast<long double>(got) - want) <= bound);
      }
    }
  }
};

// C before the call: beta == 0 gets NaN in the valid part, which must be overwritten.
template <class T>
std::vector<T> initial_c(const Problem<T>& p, T beta) {
  std::vector<T> c = p.c0;
  if (beta == T(0))
    for (index_t i = 0; i < p.m; ++i)
      for (index_t j = 0; j < p.n; ++j)
        c[static_cast<std::size_t>(i * p.ldc + j)] = std::numeric_limits<T>::quiet_NaN();
  return c;
}

// Runs the packed GEMM with a NaN-filled workspace followed by guard values that must
// survive.
template <class T>
std::vector<T> run_packed(const Problem<T>& p, T alpha, T beta) {
  const index_t ws_size = gan::kernels::gemm_workspace_size<T>(p.m, p.n, p.k);
  constexpr index_t guard = 64;
  const T sentinel = T(12345.5);
  std::vector<T> ws(static_cast<std::size_t>(ws_size + guard), sentinel);
  std::fill(ws.begin(), ws.begin() + ws_size, std::numeric_limits<T>::quiet_NaN());
  std::vector<T> c = initial_c(p, beta);
  gan::kernels::gemm(p.ta, p.tb, p.m, p.n, p.k, alpha, p.a.data(), p.lda, p.b.data(), p.ldb, beta,
                     c.data(), p.ldc, ws.data());
  for (index_t i = ws_size; i < ws_size + guard; ++i)
    REQUIRE(ws[static_cast<std::size_t>(i)] == sentinel);
  return c;
}

struct ThreadsGuard {
  int saved = gan::num_threads();
  ~ThreadsGuard() { gan::set_num_threads(saved); }
};

}  // namespace

TEMPLATE_TEST_CASE("packed gemm matches the naive product", "[kernels][gemm]", float, double) {
  using T = TestType;
  std::mt19937 rng(42);
  const std::vector<std::pair<T, T>> alpha_beta = {
      {T(1), T(0)}, {T(-0.75), T(1)}, {T(1.5), T(-0.5)}};
  for (const Case& s : kCases) {
    for (int t = 0; t < 4; ++t) {
      const Problem<T> p(t & 1, t & 2, s, rng);
      for (const auto& [alpha, beta] : alpha_beta) p.check(alpha, beta, run_packed(p, alpha, beta));
    }
  }
}

TEMPLATE_TEST_CASE("Eigen gemm overload matches the naive product", "[kernels][gemm]", float,
                   double) {
  using T = TestType;
  std::mt19937 rng(7);
  for (const Case& s : {Case{1, 1, 1}, Case{7, 17, 33}, Case{129, 100, 33}, Case{5, 129, 129}}) {
    for (int t = 0; t < 4; ++t) {
      const Problem<T> p(t & 1, t & 2, s, rng);
      for (const auto& [alpha, beta] : {std::pair<T, T>{T(1), T(0)}, {T(0.5), T(1)}}) {
        std::vector<T> c = initial_c(p, beta);
        gan::kernels::gemm(p.ta, p.tb, p.m, p.n, p.k, alpha, p.a.data(), p.lda, p.b.data(), p.ldb,
                           beta, c.data(), p.ldc);
        p.check(alpha, beta, c);
      }
    }
  }
}

TEMPLATE_TEST_CASE("packed gemm with k == 0 scales C by beta", "[kernels][gemm]", float, double) {
  using T = TestType;
  std::vector<T> c = {T(2), std::numeric_limits<T>::quiet_NaN(), T(-4)};
  const T dummy = T(1);
  gan::kernels::gemm(false, false, 1, 3, 0, T(1), &dummy, 1, &dummy, 3, T(0), c.data(), 3,
                     static_cast<T*>(nullptr));
  REQUIRE(c == std::vector<T>{T(0), T(0), T(0)});
  c = {T(2), T(3), T(-4)};
  gan::kernels::gemm(true, true, 1, 3, 0, T(1), &dummy, 1, &dummy, 1, T(0.5), c.data(), 3,
                     static_cast<T*>(nullptr));
  REQUIRE(c == std::vector<T>{T(1), T(1.5), T(-2)});
}

TEMPLATE_TEST_CASE("packed gemm is bit-identical for 1 and 2 threads", "[kernels][gemm]", float,
                   double) {
  using T = TestType;
  ThreadsGuard restore;
  std::mt19937 rng(3);
  // Large enough to be split over threads, with edge tiles in M and N and several K slices.
  for (const Case& s : {Case{129, 100, 300}, Case{250, 67, 129}, Case{13, 300, 260}}) {
    for (int t = 0; t < 4; ++t) {
      const Problem<T> p(t & 1, t & 2, s, rng);
      for (const auto& [alpha, beta] : {std::pair<T, T>{T(1), T(0)}, {T(-0.5), T(1.25)}}) {
        gan::set_num_threads(1);
        const std::vector<T> one = run_packed(p, alpha, beta);
        gan::set_num_threads(2);
        const std::vector<T> two = run_packed(p, alpha, beta);
        REQUIRE(std::memcmp(one.data(), two.data(), one.size() * sizeof(T)) == 0);
        p.check(alpha, beta, two);
      }
    }
  }
}

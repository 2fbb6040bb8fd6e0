#pragma once
/// KID, the Kernel Inception Distance (Bińkowski, Sutherland, Arbel & Gretton 2018,
/// "Demystifying MMD GANs", section 4): the squared maximum mean discrepancy between two
/// feature sets under the cubic polynomial kernel
///
///   k(x, y) = (x . y / d + 1)^3,   d = the feature dimension,
///
/// estimated without bias (Gretton et al. 2012, "A Kernel Two-Sample Test", eq. 3):
///
///   MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) / (n (n - 1))
///             - 2 sum_{i, j} k(x_i, y_j) / (m n).
///
/// Its expectation is exactly the population MMD^2, 0 when both sets come from one
/// distribution, so small or negative values are noise, not a bias; this is why KID,
/// unlike FID, can be compared across sample sizes. mmd2_biased is the V-statistic
/// (diagonals kept, divided by m^2 and n^2), biased upwards by O(1/m + 1/n): the tests
/// show the difference.
///
///   x: [m, d], y: [n, d] (m, n >= 2) -> a double.
///   kid(x, y, options): MMD^2_u of the whole sets, or (options.subsets > 0) the mean and
///   standard deviation over that many pairs of random subsets of subset_size rows,
///   drawn without replacement (what Bińkowski et al.'s code and torch-fidelity report,
///   with 100 subsets of 1000).
///   KidReference(x): the sum over x's pairs computed once, for scoring many sets
///   against x (each score then costs the n x n and n x m products only).
/// Products are visited in row blocks (features.hpp): memory is 128 x max(m, n) doubles,
/// and sums run in a fixed order, the same bits at any thread count.

#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/eval/features.hpp"

namespace gan::eval {

struct KidOptions {
  index_t subsets = 0;  ///< 0: one estimate on the whole sets
  index_t subset_size = 1000;
  std::uint64_t seed = 0;  ///< of the subsets
};

struct KidResult {
  double mean = 0;  ///< MMD^2_u (averaged over the subsets)
  double std = 0;   ///< standard deviation over the subsets (0 for one estimate)
  index_t subsets = 1;
  index_t subset_size = 0;  ///< rows per set in each estimate
};

namespace detail {

inline double poly_kernel(double dot, double inv_d) noexcept {
  const double t = dot * inv_d + 1.0;
  return t * t * t;
}

/// Sums of k over the products of one block: all of them, and those on the diagonal of a
/// set with itself (column first + i of row i).
struct KernelSums {
  double all = 0, diagonal = 0;
  void add(index_t first, index_t rows, index_t cols, const double* block, double inv_d,
           bool square) noexcept {
    for (index_t i = 0; i < rows; ++i) {
      const double* row = block + i * cols;
      double s = 0;
      for (index_t j = 0; j < cols; ++j) s += poly_kernel(row[j], inv_d);
      all += s;
      if (square) diagonal += poly_kernel(row[first + i], inv_d);
    }
  }
};

inline KernelSums kernel_sums(const Features& a, const Features& b, bool square, GramWorkspace& w) {
  KernelSums sums;
  const double inv_d = 1.0 / static_cast<double>(a.cols());
  for_each_gram_block(a, b, w, [&](index_t first, index_t rows, const double* block) {
    sums.add(first, rows, b.rows(), block, inv_d, square);
  });
  return sums;
}

inline double mmd2(const KernelSums& xx, index_t m, const KernelSums& yy, index_t n,
                   const KernelSums& xy, bool unbiased) noexcept {
  const auto md = static_cast<double>(m), nd = static_cast<double>(n);
  if (unbiased)
    return (xx.all - xx.diagonal) / (md * (md - 1)) + (yy.all - yy.diagonal) / (nd * (nd - 1)) -
           2 * xy.all / (md * nd);
  return xx.all / (md * md) + yy.all / (nd * nd) - 2 * xy.all / (md * nd);
}

inline void check_kid_args(const char* who, const Features& x, const Features& y) {
  check_features(who, "the first", x, 2);
  check_features(who, "the second", y, 2);
  check_same_dim(who, x, y);
}

}  // namespace detail

/// The unbiased MMD^2 estimate between x and y under the cubic kernel.
inline double mmd2_unbiased(const Features& x, const Features& y) {
  detail::check_kid_args("mmd2_unbiased", x, y);
  GramWorkspace w;
  return detail::mmd2(detail::kernel_sums(x, x, true, w), x.rows(),
                      detail::kernel_sums(y, y, true, w), y.rows(),
                      detail::kernel_sums(x, y, false, w), true);
}

/// The biased (V-statistic) MMD^2 estimate, for comparison.
inline double mmd2_biased(const Features& x, const Features& y) {
  detail::check_kid_args("mmd2_biased", x, y);
  GramWorkspace w;
  return detail::mmd2(detail::kernel_sums(x, x, true, w), x.rows(),
                      detail::kernel_sums(y, y, true, w), y.rows(),
                      detail::kernel_sums(x, y, false, w), false);
}

/// One set's kernel sums computed once, for scoring many sets against it.
class KidReference {
 public:
  KidReference() = default;
  explicit KidReference(Features x) : x_(std::move(x)) {
    detail::check_features("KidReference", "the reference", x_, 2);
    GramWorkspace w;
    xx_ = detail::kernel_sums(x_, x_, true, w);
  }

  const Features& features() const noexcept { return x_; }

  /// MMD^2_u between the reference and y, with the caller's workspace.
  double mmd2_unbiased(const Features& y, GramWorkspace& w) const {
    detail::check_features("KidReference", "the scored", y, 2);
    detail::check_same_dim("KidReference", x_, y);
    return detail::mmd2(xx_, x_.rows(), detail::kernel_sums(y, y, true, w), y.rows(),
                        detail::kernel_sums(y, x_, false, w), true);
  }

  /// The same from sums the caller computed (the Evaluator fuses these passes with the
  /// precision/recall ones): yy over y's pairs, xy over y x reference.
  double mmd2_unbiased(const detail::KernelSums& yy, index_t n,
                       const detail::KernelSums& xy) const noexcept {
    return detail::mmd2(xx_, x_.rows(), yy, n, xy, true);
  }

 private:
  Features x_;
  detail::KernelSums xx_;
};

namespace detail {
/// Rows `chosen` of f.
inline Features take_rows(const Features& f, const std::vector<index_t>& chosen) {
  Features out(static_cast<index_t>(chosen.size()), f.cols());
  for (std::size_t i = 0; i < chosen.size(); ++i)
    out.row(static_cast<index_t>(i)) = f.row(chosen[i]);
  return out;
}

/// The first k of a seeded partial Fisher-Yates shuffle of 0 .. n-1.
inline std::vector<index_t> draw_without_replacement(index_t n, index_t k, Rng& rng) {
  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), index_t(0));
  for (index_t i = 0; i < k; ++i) {
    const auto j = i + static_cast<index_t>(rng.below(static_cast<std::uint64_t>(n - i)));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  order.resize(static_cast<std::size_t>(k));
  return order;
}
}  // namespace detail

/// KID between x and y: on the whole sets, or averaged over random subsets (see above).
inline KidResult kid(const Features& x, const Features& y, const KidOptions& o = {}) {
  detail::check_kid_args("kid", x, y);
  KidResult r;
  if (o.subsets <= 0) {
    r.mean = mmd2_unbiased(x, y);
    r.subset_size = std::min(x.rows(), y.rows());
    return r;
  }
  if (o.subset_size < 2 || o.subset_size > x.rows() || o.subset_size > y.rows())
    throw Error("kid: subset_size must lie in [2, min(m, n)] = [2, " +
                std::to_string(std::min(x.rows(), y.rows())) + "], got " +
                std::to_string(o.subset_size));
  Rng rng(o.seed);
  std::vector<double> estimates;
  for (index_t s = 0; s < o.subsets; ++s) {
    const Features xs =
        detail::take_rows(x, detail::draw_without_replacement(x.rows(), o.subset_size, rng));
    const Features ys =
        detail::take_rows(y, detail::draw_without_replacement(y.rows(), o.subset_size, rng));
    estimates.push_back(mmd2_unbiased(xs, ys));
  }
  double sum = 0;
  for (double e : estimates) sum += e;
  r.mean = sum / static_cast<double>(estimates.size());
  double sq = 0;
  for (double e : estimates) sq += (e - r.mean) * (e - r.mean);
  r.std = estimates.size() > 1 ? std::sqrt(sq / static_cast<double>(estimates.size() - 1)) : 0.0;
  r.subsets = o.subsets;
  r.subset_size = o.subset_size;
  return r;
}

}  // namespace gan::eval

#pragma once
/// Improved precision and recall (Kynkäänniemi, Karras, Laine, Lehtinen & Aila 2019,
/// "Improved Precision and Recall Metric for Assessing Generative Models", section 3).
///
/// Each set's manifold is approximated by the union of k-NN balls around its samples:
/// the ball of sample phi has radius ||phi - NN_k(phi)||, the distance to its k-th nearest
/// OTHER sample of the same set (the paper uses k = 3). Then
///
///   f(phi, Phi) = 1 if ||phi - phi'|| <= radius(phi') for some phi' in Phi, else 0
///   precision   = mean over generated phi_g of f(phi_g, Phi_real)
///   recall      = mean over real phi_r of f(phi_r, Phi_generated)
///
/// Precision is the share of generated samples that look real (quality); recall the share
/// of real samples the generator's manifold covers (diversity).
///
///   KnnManifold(features [N, d], k): the points, their squared norms and squared radii;
///   needs N >= k + 1 (every sample needs k others).
///   precision_recall(real, generated): both numbers, from one pass over the [N_g, N_r]
///   pairwise distances (features.hpp's row blocks, squared distances
///   |a|^2 + |b|^2 - 2 a.b clamped at 0); precision_recall(real, generated, k) builds the
///   manifolds first.
/// Distances are compared squared (the same order as the distances). Ties count as inside
/// (<=), as in the paper's code. A duplicate of a sample is a neighbour at distance 0.

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "gan/eval/features.hpp"

namespace gan::eval {

struct PrecisionRecall {
  double precision = 0;
  double recall = 0;
};

namespace detail {

/// Squared distances from row i of a block of products a . b to every b_j.
inline double squared_distance(double a_norm, double b_norm, double dot) noexcept {
  return std::max(0.0, a_norm + b_norm - 2 * dot);
}

/// Keeps, per row, the k smallest squared distances to other rows of the same set.
/// reset() reuses the storage of an earlier set of the same or a larger size.
class KnnRadii {
 public:
  KnnRadii() = default;
  KnnRadii(index_t n, index_t k) { reset(n, k); }

  void reset(index_t n, index_t k) {
    k_ = k;
    smallest_.assign(static_cast<std::size_t>(n * k), std::numeric_limits<double>::infinity());
  }

  /// Rows [first, first + rows) of the set's products with itself.
  void add(index_t first, index_t rows, const double* block, const Eigen::VectorXd& norms) {
    const index_t n = norms.size();
    for (index_t i = 0; i < rows; ++i) {
      const index_t row = first + i;
      double* best = smallest_.data() + row * k_;  // ascending
      const double* dots = block + i * n;
      for (index_t j = 0; j < n; ++j) {
        if (j == row) continue;
        const double d = squared_distance(norms[row], norms[j], dots[j]);
        if (d >= best[k_ - 1]) continue;
        index_t p = k_ - 1;
        while (p > 0 && best[p - 1] > d) {
          best[p] = best[p - 1];
          --p;
        }
        best[p] = d;
      }
    }
  }

  /// The k-th smallest squared distance of every row, into r (resized to N).
  void radii(Eigen::VectorXd& r) const {
    const index_t n = static_cast<index_t>(smallest_.size()) / k_;
    r.resize(n);
    for (index_t i = 0; i < n; ++i) r[i] = smallest_[static_cast<std::size_t>(i * k_ + k_ - 1)];
  }

 private:
  index_t k_ = 1;
  std::vector<double> smallest_;
};

/// For the products of generated rows [first, first + rows) with every real row: marks
/// generated rows inside some real ball and real rows inside some generated ball.
struct ManifoldHits {
  std::vector<char> generated_inside, real_inside;
  ManifoldHits() = default;
  ManifoldHits(index_t generated, index_t real) { reset(generated, real); }
  void reset(index_t generated, index_t real) {
    generated_inside.assign(static_cast<std::size_t>(generated), 0);
    real_inside.assign(static_cast<std::size_t>(real), 0);
  }

  void add(index_t first, index_t rows, const double* block, const Eigen::VectorXd& g_norms,
           const Eigen::VectorXd& g_radii, const Eigen::VectorXd& r_norms,
           const Eigen::VectorXd& r_radii) noexcept {
    const index_t m = r_norms.size();
    for (index_t i = 0; i < rows; ++i) {
      const index_t g = first + i;
      const double* dots = block + i * m;
      char inside = 0;
      for (index_t j = 0; j < m; ++j) {
        const double d = squared_distance(g_norms[g], r_norms[j], dots[j]);
        if (d <= r_radii[j]) inside = 1;
        if (d <= g_radii[g]) real_inside[static_cast<std::size_t>(j)] = 1;
      }
      generated_inside[static_cast<std::size_t>(g)] = inside;
    }
  }
};

inline double share(const std::vector<char>& flags) noexcept {
  index_t n = 0;
  for (char f : flags) n += f;
  return static_cast<double>(n) / static_cast<double>(flags.size());
}

}  // namespace detail

/// A set of features with the squared radii of their k-NN balls.
class KnnManifold {
 public:
  KnnManifold() = default;
  KnnManifold(Features points, index_t k) : points_(std::move(points)), k_(k) {
    GramWorkspace w;
    build(w);
  }
  KnnManifold(Features points, index_t k, GramWorkspace& w) : points_(std::move(points)), k_(k) {
    build(w);
  }

  const Features& points() const noexcept { return points_; }
  const Eigen::VectorXd& squared_norms() const noexcept { return norms_; }
  /// Squared distance of each point to its k-th nearest other point.
  const Eigen::VectorXd& squared_radii() const noexcept { return radii_; }
  index_t k() const noexcept { return k_; }

 private:
  void build(GramWorkspace& w) {
    if (k_ < 1) throw Error("KnnManifold: k must be >= 1, got " + std::to_string(k_));
    detail::check_features("KnnManifold (k = " + std::to_string(k_) + ")", "the", points_, k_ + 1);
    norms_ = points_.rowwise().squaredNorm();
    detail::KnnRadii knn(points_.rows(), k_);
    for_each_gram_block(points_, points_, w, [&](index_t first, index_t rows, const double* b) {
      knn.add(first, rows, b, norms_);
    });
    knn.radii(radii_);
  }

  Features points_;
  Eigen::VectorXd norms_, radii_;
  index_t k_ = 3;
};

/// Precision and recall of `generated` against `real` (manifolds of the same dimension).
inline PrecisionRecall precision_recall(const KnnManifold& real, const KnnManifold& generated,
                                        GramWorkspace& w) {
  const Features& g = generated.points();
  const Features& r = real.points();
  if (g.rows() < 1 || r.rows() < 1)
    throw Error("precision_recall: both manifolds must be built (non-empty)");
  detail::check_same_dim("precision_recall", r, g);
  detail::ManifoldHits hits(g.rows(), r.rows());
  for_each_gram_block(g, r, w, [&](index_t first, index_t rows, const double* block) {
    hits.add(first, rows, block, generated.squared_norms(), generated.squared_radii(),
             real.squared_norms(), real.squared_radii());
  });
  return {detail::share(hits.generated_inside), detail::share(hits.real_inside)};
}

/// The same from features, with k-NN balls of k neighbours (k = 3 in the paper).
inline PrecisionRecall precision_recall(const Features& real, const Features& generated,
                                        index_t k = 3) {
  detail::check_same_dim("precision_recall", real, generated);
  GramWorkspace w;
  const KnnManifold r(real, k, w), g(generated, k, w);
  return precision_recall(r, g, w);
}

}  // namespace gan::eval

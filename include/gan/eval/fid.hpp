#pragma once
/// The Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017,
/// "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
/// eq. 6; Dowson & Landau 1982 for the distance itself):
///
///   d^2 = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)
///
///   features: [N, d] double (features.hpp) -> Gaussian {mean [d], cov [d, d]}
///   fit_gaussian(f): mean and the unbiased covariance (divided by N - 1, as numpy.cov
///   and pytorch-fid), N >= 2.
///   frechet_distance(g1, g2), fid(f1, f2): d^2 above.
///   FrechetReference(g1): g1 with S1^1/2 computed once, for scoring many sets against it.
///
/// The matrix square roots come from Eigen's SelfAdjointEigenSolver: S = V diag(l) V^T,
/// S^1/2 = V diag(sqrt l) V^T. S1^1/2 S2 S1^1/2 is symmetric positive semi-definite, so
/// tr((S1^1/2 S2 S1^1/2)^1/2) = sum_i sqrt(l_i) over its eigenvalues; this trace equals
/// tr((S1 S2)^1/2), the form pytorch-fid computes with scipy's sqrtm. Rounding leaves the
/// eigenvalues of a singular covariance (N <= d, or a dead feature) a little below 0:
/// they are CLAMPED to 0 before the square root. Zero eigenvalues carry rounding of
/// ~1e-16 of the largest, whose square roots are ~1e-8 of its square root: the FID of
/// singular covariances is exact only to about d * 1e-8 of the covariances' scale
/// (the tests measure it), which is far below any difference worth reading. The count of
/// clamped eigenvalues and the most negative one are reported in FrechetParts
/// for whoever wants to see them.

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "gan/eval/features.hpp"

namespace gan::eval {

/// A Gaussian fitted to features: mean [d] and covariance [d, d].
struct Gaussian {
  Eigen::VectorXd mean;
  Matrix cov;
  index_t count = 0;  ///< samples it was fitted to
};

/// Scratch of fit_gaussian and FrechetReference::parts, reused while the sizes repeat.
struct GaussianWorkspace {
  Features centred;
  Matrix product, cross;
  Tensor<double> packing;
};

/// The terms of a Fréchet distance, and what the square roots clamped.
struct FrechetParts {
  double mean_term = 0;      ///< |mu1 - mu2|^2
  double trace_term = 0;     ///< tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)
  int clamped = 0;           ///< negative eigenvalues set to 0 (both square roots)
  double most_negative = 0;  ///< the most negative of them, or 0
  double distance() const noexcept { return mean_term + trace_term; }
};

/// Mean and unbiased covariance of f's rows (N >= 2) into g, with w as scratch (both
/// reuse their storage when the sizes repeat).
inline void fit_gaussian(const Features& f, Gaussian& g, GaussianWorkspace& w) {
  detail::check_features("fit_gaussian", "the", f, 2);
  g.count = f.rows();
  g.mean = f.colwise().mean().transpose();
  w.centred = f.rowwise() - g.mean.transpose();
  multiply(w.centred, true, w.centred, false, g.cov, w.packing);
  g.cov /= static_cast<double>(f.rows() - 1);
}

/// Mean and unbiased covariance of f's rows (N >= 2).
inline Gaussian fit_gaussian(const Features& f) {
  Gaussian g;
  GaussianWorkspace w;
  fit_gaussian(f, g, w);
  return g;
}

namespace detail {

/// sqrt of the eigenvalues of a symmetric PSD matrix, negatives clamped to 0 (counted).
inline Eigen::VectorXd sqrt_eigenvalues(const Eigen::VectorXd& l, FrechetParts& parts) {
  Eigen::VectorXd r(l.size());
  for (Eigen::Index i = 0; i < l.size(); ++i) {
    if (l[i] < 0) {
      ++parts.clamped;
      parts.most_negative = std::min(parts.most_negative, l[i]);
    }
    r[i] = std::sqrt(std::max(l[i], 0.0));
  }
  return r;
}

inline void check_gaussian(const std::string& who, const Gaussian& g) {
  if (g.mean.size() < 1 || g.cov.rows() != g.mean.size() || g.cov.cols() != g.mean.size())
    throw Error(who + ": a Gaussian needs mean [d >= 1] and covariance [d, d], got mean [" +
                std::to_string(g.mean.size()) + "] and covariance [" +
                std::to_string(g.cov.rows()) + ", " + std::to_string(g.cov.cols()) + "]");
}

}  // namespace detail

/// One Gaussian with its covariance's square root, computed once.
class FrechetReference {
 public:
  FrechetReference() = default;
  explicit FrechetReference(Gaussian g) : g_(std::move(g)) {
    detail::check_gaussian("FrechetReference", g_);
    Eigen::SelfAdjointEigenSolver<Matrix> eig(g_.cov);
    if (eig.info() != Eigen::Success)
      throw Error("FrechetReference: the eigen-decomposition of the covariance failed");
    // V diag(sqrt l) V^T as (V diag(sqrt l)) V^T through the deterministic GEMM.
    const Matrix v = eig.eigenvectors();
    const Matrix scaled = v * detail::sqrt_eigenvalues(eig.eigenvalues(), own_).asDiagonal();
    Tensor<double> packing;
    multiply(scaled, false, v, true, root_, packing);
    trace_ = g_.cov.trace();
  }

  const Gaussian& gaussian() const noexcept { return g_; }

  /// The distance from this Gaussian to g, term by term, with w as scratch.
  FrechetParts parts(const Gaussian& g, GaussianWorkspace& w) const {
    detail::check_gaussian("frechet_distance", g);
    if (g.mean.size() != g_.mean.size())
      throw Error("frechet_distance: feature dimensions differ: " + std::to_string(g_.mean.size()) +
                  " and " + std::to_string(g.mean.size()));
    FrechetParts p = own_;
    p.mean_term = (g_.mean - g.mean).squaredNorm();
    multiply(root_, false, g.cov, false, w.product, w.packing);
    multiply(w.product, false, root_, false, w.cross, w.packing);
    // Symmetric in exact arithmetic; the solver reads one triangle, so symmetrise first.
    w.product = 0.5 * (w.cross + w.cross.transpose());
    Eigen::SelfAdjointEigenSolver<Matrix> eig(w.product, Eigen::EigenvaluesOnly);
    if (eig.info() != Eigen::Success)
      throw Error("frechet_distance: the eigen-decomposition of S1^1/2 S2 S1^1/2 failed");
    const double cross = detail::sqrt_eigenvalues(eig.eigenvalues(), p).sum();
    p.trace_term = trace_ + g.cov.trace() - 2 * cross;
    return p;
  }

  FrechetParts parts(const Gaussian& g) const {
    GaussianWorkspace w;
    return parts(g, w);
  }
  double distance(const Gaussian& g, GaussianWorkspace& w) const { return parts(g, w).distance(); }
  double distance(const Gaussian& g) const { return parts(g).distance(); }

 private:
  Gaussian g_;
  Matrix root_;
  double trace_ = 0;
  FrechetParts own_;  // what the square root of S1 clamped
};

/// d^2 between two Gaussians.
inline double frechet_distance(const Gaussian& a, const Gaussian& b) {
  return FrechetReference(a).distance(b);
}

/// d^2 between Gaussians fitted to two feature sets (each N >= 2, the same d).
inline double fid(const Features& a, const Features& b) {
  detail::check_same_dim("fid", a, b);
  return frechet_distance(fit_gaussian(a), fit_gaussian(b));
}

}  // namespace gan::eval

#pragma once
/// Feature matrices for the sample-quality metrics, and the checks they share.
///
///   Features: [N, d] double, row-major, one sample per row (Eigen::Matrix, RowMajor)
/// The metrics (fid.hpp, kid.hpp, precision_recall.hpp) take Features and work in
/// double, whatever precision the network that made them ran in: covariances and kernel
/// sums of thousands of rows lose digits in float.
///
/// Row blocks: kid.hpp and precision_recall.hpp need every pairwise dot product of two
/// sets, an [N, M] matrix (200 MB for N = M = 5000). They visit it in blocks of
/// gram_block_rows rows (for_each_gram_block), each computed by gan's packed GEMM
/// (kernels/gemm_packed.hpp: allocation-free, the same bits at any thread count) into a
/// GramWorkspace, so the memory is 128 * M doubles plus packing space, sized at the first
/// call and reused by every later one of the same or smaller sizes.

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>

#include "gan/core/error.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/tensor.hpp"
#include "gan/kernels/gemm.hpp"

namespace gan::eval {

/// A row-major double matrix: feature sets [N, d] and the metrics' d x d matrices.
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Features = Matrix;

/// Rows per block of the pairwise products: 128 rows of 5,000 reference digits are 5 MB
/// (256 held 10 MB of a training run's peak for at most 3 % of bench_eval's time; 64 cost
/// 5-10 %). The results do not depend on it: every sum runs row by row.
inline constexpr index_t gram_block_rows = 128;

namespace detail {

/// "[N, d]" of a feature matrix.
inline std::string feature_shape(const Features& f) {
  return "[" + std::to_string(f.rows()) + ", " + std::to_string(f.cols()) + "]";
}

/// Throws gan::Error unless f has at least min_rows rows, at least one column, and only
/// finite values. `who` names the metric, `what` the argument.
inline void check_features(const std::string& who, const std::string& what, const Features& f,
                           index_t min_rows) {
  if (f.cols() < 1 || f.rows() < min_rows)
    throw Error(who + ": " + what + " features " + feature_shape(f) +
                ": expected [N >= " + std::to_string(min_rows) + ", d >= 1]");
  if (!f.allFinite())
    throw Error(who + ": " + what + " features " + feature_shape(f) + " hold a NaN or an infinity");
}

/// Throws gan::Error unless a and b have the same feature dimension.
inline void check_same_dim(const std::string& who, const Features& a, const Features& b) {
  if (a.cols() != b.cols())
    throw Error(who + ": feature dimensions differ: " + feature_shape(a) + " and " +
                feature_shape(b));
}

}  // namespace detail

/// out = op(a) op(b) (op: transposed or not) through gan's packed GEMM, so the result
/// has the same bits at any thread count (Eigen's own product picks its blocking by the
/// thread count, which may reorder the sums). `packing` grows when needed.
inline void multiply(const Matrix& a, bool transpose_a, const Matrix& b, bool transpose_b,
                     Matrix& out, Tensor<double>& packing) {
  const index_t m = transpose_a ? a.cols() : a.rows(), k = transpose_a ? a.rows() : a.cols();
  const index_t n = transpose_b ? b.rows() : b.cols();
  GAN_ASSERT((transpose_b ? b.cols() : b.rows()) == k);
  GAN_ASSERT(&out != &a && &out != &b);
  out.resize(m, n);
  const index_t need = kernels::gemm_workspace_size<double>(m, n, k);
  if (packing.size() < need) packing.resize({need});
  kernels::gemm<double>(transpose_a, transpose_b, m, n, k, 1.0, a.data(), a.cols(), b.data(),
                        b.cols(), 0.0, out.data(), n, packing.data());
}

/// The buffers of for_each_gram_block: one block of products and the GEMM's packing space.
struct GramWorkspace {
  Tensor<double> block;
  Tensor<double> packing;
};

/// Calls f(first_row, rows, block) for consecutive blocks of `a`'s rows, where block
/// points to the row-major [rows, b.rows()] products a[first_row + i] . b[j]. `a` and `b`
/// have the same number of columns (the caller checks).
template <class F>
void for_each_gram_block(const Features& a, const Features& b, GramWorkspace& w, F&& f) {
  const index_t n = a.rows(), m = b.rows(), d = a.cols();
  const index_t rows_max = std::min(gram_block_rows, n);
  if (w.block.size() < rows_max * m) w.block.resize({rows_max * m});
  const index_t packing = kernels::gemm_workspace_size<double>(rows_max, m, d);
  if (w.packing.size() < packing) w.packing.resize({std::max<index_t>(packing, 1)});
  for (index_t first = 0; first < n; first += gram_block_rows) {
    const index_t rows = std::min(gram_block_rows, n - first);
    kernels::gemm<double>(false, true, rows, m, d, 1.0, a.data() + first * d, d, b.data(), d, 0.0,
                          w.block.data(), m, w.packing.data());
    f(first, rows, static_cast<const double*>(w.block.data()));
  }
}

}  // namespace gan::eval

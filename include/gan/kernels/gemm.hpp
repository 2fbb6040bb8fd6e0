#pragma once
/// GEMM on raw row-major memory: C = alpha * op(A) * op(B) + beta * C, where
/// op(X) is X or X^T. op(A): [M, K], op(B): [K, N], C: [M, N]; lda/ldb/ldc are the
/// row strides of A, B, C as stored. Both overloads thread themselves under OpenMP: do not
/// call gemm from inside parallel_for.
///
/// Two overloads:
/// - gemm(..., c, ldc): Eigen's GEMM. It allocates its packing buffers on the heap at every
///   call (and glibc returns them to the kernel, so each call page-faults them in again):
///   kept for callers without a workspace; not for steady-state hot paths.
/// - gemm(..., c, ldc, workspace): the packed, allocation-free GEMM of gemm_packed.hpp,
///   with a caller-owned workspace of gemm_workspace_size<T>(m, n, k) elements. The fast path.

#include <Eigen/Core>

#include "gan/core/shape.hpp"
#include "gan/kernels/gemm_packed.hpp"

namespace gan::kernels {

template <class T>
void gemm(bool trans_a, bool trans_b, index_t m, index_t n, index_t k, T alpha, const T* a,
          index_t lda, const T* b, index_t ldb, T beta, T* c, index_t ldc) noexcept {
  using Stride = Eigen::OuterStride<>;
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ConstMap = Eigen::Map<const RowMajor, Eigen::Unaligned, Stride>;
  Eigen::Map<RowMajor, Eigen::Unaligned, Stride> C(c, m, n, Stride(ldc));
  if (beta == T(0)) {
    C.setZero();
  } else if (beta != T(1)) {
    C *= beta;
  }
  if (m == 0 || n == 0 || k == 0) return;
  // Stored shapes: A is [M, K] or [K, M]; B is [K, N] or [N, K].
  const ConstMap A(a, trans_a ? k : m, trans_a ? m : k, Stride(lda));
  const ConstMap B(b, trans_b ? n : k, trans_b ? k : n, Stride(ldb));
  if (!trans_a && !trans_b) {
    C.noalias() += alpha * (A * B);
  } else if (trans_a && !trans_b) {
    C.noalias() += alpha * (A.transpose() * B);
  } else if (!trans_a && trans_b) {
    C.noalias() += alpha * (A * B.transpose());
  } else {
    C.noalias() += alpha * (A.transpose() * B.transpose());
  }
}

}  // namespace gan::kernels

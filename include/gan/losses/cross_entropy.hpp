#pragma once
/// Softmax cross-entropy on logits, as PyTorch's nn.CrossEntropyLoss with class indices
/// (reduction='mean', no weights, no label smoothing):
///   logits: [N, C] raw scores; labels: N class indices in [0, C) -> L = mean_n l_n,
///   l_n = -log softmax(x_n)[y_n] = logsumexp(x_n) - x_n[y_n].
/// grad is resized to [N, C] and OVERWRITTEN with dL/dlogits; it must be a tensor of its
/// own (not the logits).
///
/// Evaluated in the stable log-sum-exp form: with m_n = max_c x_nc,
///   logsumexp(x_n) = m_n + log sum_c exp(x_nc - m_n),
/// so no exponent is positive and the sum lies in [1, C]: finite for any finite logits
/// (x = 1e4 or -1e4 gives exact results). The derivative is
///   dL/dx_nc = (softmax(x_n)_c - [c == y_n]) / N,  softmax(x_n)_c = exp(x_nc - m_n) / s_n.
/// Each row's sum runs in double and in a fixed order (one thread): the same bits at any
/// thread count. Nothing is allocated but grad.resize().
/// Bad input (logits not [N, C], N = 0, a label count other than N, a label outside
/// [0, C), grad aliasing the logits) throws gan::Error naming the shapes or the label.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/tensor.hpp"

namespace gan {

namespace detail {

template <class T>
void check_cross_entropy_args(const Tensor<T>& logits, const std::vector<int>& labels,
                              const Tensor<T>& grad) {
  const auto who = [] { return std::string("cross_entropy_loss: "); };
  if (logits.rank() != 2 || logits.dim(0) < 1 || logits.dim(1) < 1 || !logits.data())
    throw Error(who() + "expected logits [N >= 1, C >= 1], got " + logits.shape().str());
  if (static_cast<index_t>(labels.size()) != logits.dim(0))
    throw Error(who() + "logits " + logits.shape().str() + " need " +
                std::to_string(logits.dim(0)) + " labels, got " + std::to_string(labels.size()));
  for (std::size_t n = 0; n < labels.size(); ++n)
    if (labels[n] < 0 || labels[n] >= logits.dim(1))
      throw Error(who() + "label " + std::to_string(n) + " is " + std::to_string(labels[n]) +
                  ", expected a class in [0, " + std::to_string(logits.dim(1)) + ")");
  if (&grad == &logits) throw Error(who() + "grad must be a tensor of its own, not the logits");
}

}  // namespace detail

/// Mean softmax cross-entropy of logits [N, C] against class indices; writes dL/dlogits
/// into grad.
template <class T>
T cross_entropy_loss(const Tensor<T>& logits, const std::vector<int>& labels, Tensor<T>& grad) {
  detail::check_cross_entropy_args(logits, labels, grad);
  const index_t n = logits.dim(0), c = logits.dim(1);
  grad.resize(logits.shape());
  const double inv_n = 1.0 / static_cast<double>(n);
  double total = 0;
  for (index_t i = 0; i < n; ++i) {
    const T* x = logits.data() + i * c;
    T* g = grad.data() + i * c;
    double m = x[0];
    for (index_t j = 1; j < c; ++j) m = std::max(m, static_cast<double>(x[j]));
    double s = 0;
    for (index_t j = 0; j < c; ++j) s += std::exp(static_cast<double>(x[j]) - m);
    const index_t y = labels[static_cast<std::size_t>(i)];
    total += m + std::log(s) - static_cast<double>(x[y]);
    for (index_t j = 0; j < c; ++j) {
      const double p = std::exp(static_cast<double>(x[j]) - m) / s;
      g[j] = static_cast<T>((j == y ? p - 1.0 : p) * inv_n);
    }
  }
  return static_cast<T>(total * inv_n);
}

}  // namespace gan

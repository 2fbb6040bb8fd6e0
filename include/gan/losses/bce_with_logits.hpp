#pragma once
/// Binary cross-entropy on logits, as PyTorch's nn.BCEWithLogitsLoss (reduction='mean'):
///   x: any shape S (raw scores, p = sigmoid(x)); target: S, or one scalar label for
///   every element -> L = mean_i l_i, l_i = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))).
/// grad is resized to S and OVERWRITTEN with dL/dx; it must be a tensor of its own.
/// Shapes of x and target must match, else gan::Error naming both.
///
/// Evaluated in the stable form (the one TensorFlow documents for
/// sigmoid_cross_entropy_with_logits; PyTorch computes the same with a shifted
/// log-sum-exp):
///   l = max(x, 0) - x t + log(1 + exp(-|x|)),
/// which never exponentiates a positive number, so it is finite for any finite x
/// (|x| = 1e4 gives l = |x| or 0 exactly). Its derivative is
///   dl/dx = sigmoid(x) - t,
/// with sigmoid(x) = 1 / (1 + e) for x > 0 and e / (1 + e) otherwise, e = exp(-|x|),
/// again with no overflow. The mean divides both by the element count n.
/// Unlike bce_loss this needs no clamping: prefer it when D outputs logits.

#include "gan/losses/elementwise_loss.hpp"

namespace gan {

namespace detail {

template <class T>
auto bce_with_logits_terms() {
  return [](auto x, auto t) {
    const auto zero = simd::splat(x, T(0));
    return simd::max(x, zero) - x * t + simd::log1p(simd::exp(-simd::abs(x)));
  };
}

template <class T>
auto bce_with_logits_gradient() {
  return [](auto x, auto t, T scale) {
    const auto one = simd::splat(x, T(1));
    const auto e = simd::exp(-simd::abs(x));
    const auto sigmoid = simd::where_positive(x, one / (one + e), e / (one + e));
    return simd::splat(x, scale) * (sigmoid - t);
  };
}

}  // namespace detail

/// Mean binary cross-entropy of logits x against labels target (same shape); writes
/// dL/dx into grad.
template <class T>
T bce_with_logits_loss(const Tensor<T>& x, const Tensor<T>& target, Tensor<T>& grad) {
  return detail::elementwise_loss("bce_with_logits_loss", "logits", x, target, grad,
                                  detail::bce_with_logits_terms<T>(),
                                  detail::bce_with_logits_gradient<T>());
}

/// The same with one label for every element (1, 0, or a smoothed 0.9).
template <class T>
T bce_with_logits_loss(const Tensor<T>& x, typename Tensor<T>::value_type target, Tensor<T>& grad) {
  return detail::elementwise_loss("bce_with_logits_loss", "logits", x, target, grad,
                                  detail::bce_with_logits_terms<T>(),
                                  detail::bce_with_logits_gradient<T>());
}

}  // namespace gan

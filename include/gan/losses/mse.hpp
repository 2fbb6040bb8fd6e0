#pragma once
/// Mean squared error, as PyTorch's nn.MSELoss (reduction='mean'):
///   pred: any shape S; target: S, or one scalar for every element
///   -> L = mean_i (pred_i - t_i)^2, dL/dpred_i = 2 (pred_i - t_i) / n.
/// grad is resized to S and OVERWRITTEN with dL/dpred; it must be a tensor of its own.
/// Shapes of pred and target must match, else gan::Error naming both.
/// (The hybrid GAN loss adds lambda * mse_loss(G(z), x) to the generator's loss.)

#include "gan/losses/elementwise_loss.hpp"

namespace gan {

namespace detail {

template <class T>
auto mse_terms() {
  return [](auto p, auto t) {
    const auto d = p - t;
    return d * d;
  };
}

template <class T>
auto mse_gradient() {
  return [](auto p, auto t, T scale) { return simd::splat(p, T(2) * scale) * (p - t); };
}

}  // namespace detail

/// Mean of (pred - target)^2 over all elements; writes dL/dpred into grad.
template <class T>
T mse_loss(const Tensor<T>& pred, const Tensor<T>& target, Tensor<T>& grad) {
  return detail::elementwise_loss("mse_loss", "pred", pred, target, grad, detail::mse_terms<T>(),
                                  detail::mse_gradient<T>());
}

/// The same with one target value for every element.
template <class T>
T mse_loss(const Tensor<T>& pred, typename Tensor<T>::value_type target, Tensor<T>& grad) {
  return detail::elementwise_loss("mse_loss", "pred", pred, target, grad, detail::mse_terms<T>(),
                                  detail::mse_gradient<T>());
}

}  // namespace gan

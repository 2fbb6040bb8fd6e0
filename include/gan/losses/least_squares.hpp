#pragma once
/// Least-squares GAN loss (Mao et al. 2017, "Least Squares Generative Adversarial
/// Networks", eq. 2): the discriminator minimises
///   1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]
/// and the generator 1/2 E[(D(G(z)) - c)^2], with a = 0, b = c = 1 (their eq. 9).
/// One call is one of those terms:
///   pred: any shape S (D's raw scores, no sigmoid); target: S, or one scalar label for
///   every element -> L = 1/2 * mean_i (pred_i - t_i)^2, dL/dpred_i = (pred_i - t_i) / n.
/// The 1/2 is the paper's; it makes this exactly half of mse_loss, so its gradient is
/// the plain residual over n. grad is resized to S and OVERWRITTEN; it must be a tensor
/// of its own. Shapes of pred and target must match, else gan::Error naming both.

#include "gan/losses/elementwise_loss.hpp"

namespace gan {

namespace detail {

template <class T>
auto least_squares_terms() {
  return [](auto p, auto t) {
    const auto d = p - t;
    return simd::splat(p, T(0.5)) * d * d;
  };
}

template <class T>
auto least_squares_gradient() {
  return [](auto p, auto t, T scale) { return simd::splat(p, scale) * (p - t); };
}

}  // namespace detail

/// 1/2 * mean of (pred - target)^2 over all elements; writes dL/dpred into grad.
template <class T>
T least_squares_loss(const Tensor<T>& pred, const Tensor<T>& target, Tensor<T>& grad) {
  return detail::elementwise_loss("least_squares_loss", "pred", pred, target, grad,
                                  detail::least_squares_terms<T>(),
                                  detail::least_squares_gradient<T>());
}

/// The same with one label for every element (LSGAN's a = 0, b = c = 1).
template <class T>
T least_squares_loss(const Tensor<T>& pred, typename Tensor<T>::value_type target,
                     Tensor<T>& grad) {
  return detail::elementwise_loss("least_squares_loss", "pred", pred, target, grad,
                                  detail::least_squares_terms<T>(),
                                  detail::least_squares_gradient<T>());
}

}  // namespace gan

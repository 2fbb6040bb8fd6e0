#pragma once
/// Hinge GAN loss (Lim & Ye 2017, "Geometric GAN"; used by Miyato et al. 2018, "Spectral
/// Normalization for Generative Adversarial Networks", section 4): the discriminator minimises
///   E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]
/// and the generator -E[D(G(z))], D giving raw scores (no sigmoid). One call is one term:
///   hinge_loss(pred, t, grad): pred any shape S, target t: S or one scalar label
///     -> L = mean_i relu(1 - t_i pred_i);  t = +1 for real, t = -1 for fake, so
///        hinge_loss(d_real, 1, g) = mean relu(1 - D(x)), hinge_loss(d_fake, -1, g) =
///        mean relu(1 + D(G(z)));  dL/dpred_i = -t_i / n where 1 - t_i pred_i > 0, else 0
///        (0 at the kink itself, as PyTorch's relu backward).
///   hinge_generator_loss(pred, grad): L = -mean_i pred_i, dL/dpred_i = -1 / n.
/// grad is resized to S and OVERWRITTEN; it must be a tensor of its own. Shapes of pred and
/// target must match, else gan::Error naming both.
///
/// The other generator losses a trainer calls on D's logits already exist:
///   non-saturating (Goodfellow et al. 2014, section 3): bce_with_logits_loss(d_fake, 1, grad)
///   least squares (Mao et al. 2017, eq. 2): least_squares_loss(d_fake, 1, grad) is
///     1/2 mean (D(G(z)) - 1)^2, and mse_loss(d_fake, 1, grad) is mean (D(G(z)) - 1)^2.

#include "gan/losses/elementwise_loss.hpp"

namespace gan {

namespace detail {

template <class T>
auto hinge_terms() {
  return
      [](auto p, auto t) { return simd::max(simd::splat(p, T(0)), simd::splat(p, T(1)) - t * p); };
}

template <class T>
auto hinge_gradient() {
  return [](auto p, auto t, T scale) {
    const auto zero = simd::splat(p, T(0));
    return simd::where_positive(simd::splat(p, T(1)) - t * p, zero - t * simd::splat(p, scale),
                                zero);
  };
}

template <class T>
auto hinge_generator_terms() {
  return [](auto p, auto) { return -p; };
}

template <class T>
auto hinge_generator_gradient() {
  return [](auto p, auto, T scale) { return simd::splat(p, -scale); };
}

}  // namespace detail

/// mean relu(1 - target * pred) over all elements; writes dL/dpred into grad.
template <class T>
T hinge_loss(const Tensor<T>& pred, const Tensor<T>& target, Tensor<T>& grad) {
  return detail::elementwise_loss("hinge_loss", "pred", pred, target, grad,
                                  detail::hinge_terms<T>(), detail::hinge_gradient<T>());
}

/// The same with one label for every element: +1 for D on real data, -1 on fakes.
template <class T>
T hinge_loss(const Tensor<T>& pred, typename Tensor<T>::value_type target, Tensor<T>& grad) {
  return detail::elementwise_loss("hinge_loss", "pred", pred, target, grad,
                                  detail::hinge_terms<T>(), detail::hinge_gradient<T>());
}

/// The generator's hinge loss -mean(pred), pred = D(G(z)); writes dL/dpred = -1/n into grad.
template <class T>
T hinge_generator_loss(const Tensor<T>& pred, Tensor<T>& grad) {
  return detail::elementwise_loss("hinge_generator_loss", "pred", pred, T(0), grad,
                                  detail::hinge_generator_terms<T>(),
                                  detail::hinge_generator_gradient<T>());
}

}  // namespace gan

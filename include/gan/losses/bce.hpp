#pragma once
/// Binary cross-entropy on probabilities, as PyTorch's nn.BCELoss (reduction='mean'):
///   p: any shape S, values in [0, 1] (a Sigmoid's output); target: S, or one scalar
///   label for every element -> L = mean_i l_i,
///   l_i = -(t_i * log(p_i) + (1 - t_i) * log(1 - p_i)).
/// grad is resized to S and OVERWRITTEN with dL/dp (nothing is accumulated); it must be
/// a tensor of its own. Shapes of p and target must match, else gan::Error naming both.
///
/// Clamping, as PyTorch 1.13 does it (aten/src/ATen/native/Loss.cpp):
/// - each log term is clamped at >= -100, so p = 0 or p = 1 gives a finite loss (at most
///   100 per element) instead of inf;
/// - dl/dp = (p - t) / (p (1 - p)) has its denominator clamped at >= eps = 1e-12 for
///   float and double alike (1e-12 is a normal float), so the gradient at p = 0 or 1 is
///   finite: at most |p - t| / (n * 1e-12). Clamping p into [eps, 1 - eps] would also
///   keep it finite, but clamping the denominator gives PyTorch's values and leaves the
///   gradient exact wherever p (1 - p) >= 1e-12.
/// A p outside [0, 1] (or NaN) throws gan::Error, as PyTorch's range check does.
///
/// For a discriminator that outputs logits, bce_with_logits_loss is the stable choice.

#include <cmath>
#include <string>

#include "gan/losses/elementwise_loss.hpp"

namespace gan {

namespace detail {

/// Floor of p (1 - p) in the BCE gradient (PyTorch's EPSILON in Loss.cpp).
inline constexpr double bce_gradient_eps = 1e-12;

/// l = (t - 1) * max(log(1 - p), -100) - t * max(log(p), -100), PyTorch's order of terms.
/// The floor is max's FIRST argument: both simd::max forms (a > b ? a : b, and SSE/AVX
/// max) then return the second, NaN, log term of a p outside [0, 1], so such a p makes
/// the mean NaN and check_probabilities reports it at no cost to valid input.
template <class T>
auto bce_terms() {
  return [](auto p, auto t) {
    const auto floor = simd::splat(p, T(-100));
    return (t - simd::splat(p, T(1))) * simd::max(floor, simd::log1p(-p)) -
           t * simd::max(floor, simd::log(p));
  };
}

/// dl/dp * scale = scale * (p - t) / max(p (1 - p), eps).
template <class T>
auto bce_gradient() {
  return [](auto p, auto t, T scale) {
    const auto denom =
        simd::max((simd::splat(p, T(1)) - p) * p, simd::splat(p, T(bce_gradient_eps)));
    return simd::splat(p, scale) * (p - t) / denom;
  };
}

/// A non-finite mean means a NaN or out-of-range p (the clamped terms are finite for
/// p in [0, 1]); name the first such element. A NaN target is passed through, as PyTorch.
template <class T>
void check_probabilities(const Tensor<T>& p, T mean) {
  if (std::isfinite(mean)) return;
  for (index_t i = 0; i < p.size(); ++i)
    if (!(p[i] >= T(0) && p[i] <= T(1)))
      throw Error("bce_loss: p " + p.shape().str() + " must hold probabilities in [0, 1], got " +
                  std::to_string(p[i]) + " at element " + std::to_string(i));
}

}  // namespace detail

/// Mean binary cross-entropy of probabilities p against labels target (same shape);
/// writes dL/dp into grad.
template <class T>
T bce_loss(const Tensor<T>& p, const Tensor<T>& target, Tensor<T>& grad) {
  const T mean = detail::elementwise_loss("bce_loss", "p", p, target, grad, detail::bce_terms<T>(),
                                          detail::bce_gradient<T>());
  detail::check_probabilities(p, mean);
  return mean;
}

/// The same with one label for every element (1, 0, or a smoothed 0.9).
template <class T>
T bce_loss(const Tensor<T>& p, typename Tensor<T>::value_type target, Tensor<T>& grad) {
  const T mean = detail::elementwise_loss("bce_loss", "p", p, target, grad, detail::bce_terms<T>(),
                                          detail::bce_gradient<T>());
  detail::check_probabilities(p, mean);
  return mean;
}

}  // namespace gan

#pragma once
/// The driver shared by the element-wise losses (bce, bce_with_logits, mse,
/// least_squares):
///   x: any shape S, target: S (or one scalar for every element) -> mean over the
///   elements of loss(x_i, t_i), a scalar of type T; grad is resized to S and
///   OVERWRITTEN with dMean/dx.
///
/// No allocation but grad.resize(): the per-element losses are first written into grad,
/// summed by simd::sum (one thread, a fixed order: the same bits at any thread count),
/// and then grad is overwritten with the gradient. grad must therefore be a tensor of
/// its own, not x or the target. An empty x is an error (PyTorch would return NaN).

#include <string>

#include "gan/core/error.hpp"
#include "gan/core/simd.hpp"
#include "gan/core/tensor.hpp"

namespace gan::detail {

/// Throws gan::Error for a target of another shape, an empty input, or a grad that
/// aliases an input. `loss` and `input` name the function and its first argument.
template <class T>
void check_loss_args(const char* loss, const char* input, const Tensor<T>& x,
                     const Tensor<T>* target, const Tensor<T>& grad) {
  // The message is built only on failure: a checked loss call allocates nothing.
  const auto who = [loss] { return std::string(loss) + ": "; };
  if (target && target->shape() != x.shape())
    throw Error(who() + input + " " + x.shape().str() + " and target " + target->shape().str() +
                " must have the same shape");
  // A default-constructed Tensor has rank 0 (size 1) but no storage: treat it as empty.
  if (x.empty() || !x.data() || (target && !target->data()))
    throw Error(who() + "empty " + input + " " + x.shape().str());
  if (&grad == &x || &grad == target)
    throw Error(who() + "grad must be a tensor of its own, not the " + input + " or the target");
}

/// mean_i loss(x_i, t_i), with grad_i = dloss(x_i, t_i, 1 / n). Both functors are
/// generic lambdas that take xsimd batches or scalars (see simd::transform).
template <class T, class Loss, class Grad>
T elementwise_loss(const char* name, const char* input, const Tensor<T>& x, const Tensor<T>& target,
                   Tensor<T>& grad, Loss&& loss, Grad&& dloss) {
  check_loss_args(name, input, x, &target, grad);
  grad.resize(x.shape());
  const index_t n = x.size();
  simd::transform(n, x.data(), target.data(), grad.data(), loss);
  const T mean = simd::sum(n, grad.data()) / static_cast<T>(n);
  const T scale = T(1) / static_cast<T>(n);
  simd::transform(n, x.data(), target.data(), grad.data(),
                  [&dloss, scale](auto xv, auto tv) { return dloss(xv, tv, scale); });
  return mean;
}

/// The same with one target value shared by every element (a GAN's label 1, 0 or 0.9).
template <class T, class Loss, class Grad>
T elementwise_loss(const char* name, const char* input, const Tensor<T>& x, T target,
                   Tensor<T>& grad, Loss&& loss, Grad&& dloss) {
  check_loss_args<T>(name, input, x, nullptr, grad);
  grad.resize(x.shape());
  const index_t n = x.size();
  simd::transform(n, x.data(), grad.data(),
                  [&loss, target](auto xv) { return loss(xv, simd::splat(xv, target)); });
  const T mean = simd::sum(n, grad.data()) / static_cast<T>(n);
  const T scale = T(1) / static_cast<T>(n);
  simd::transform(n, x.data(), grad.data(), [&dloss, target, scale](auto xv) {
    return dloss(xv, simd::splat(xv, target), scale);
  });
  return mean;
}

}  // namespace gan::detail

#pragma once
/// Aggregate: how the generator combines the feedback of K discriminators, after GMAN
/// (Durugkar, Gemp & Mahadevan 2017, "Generative Multi-Adversarial Networks", section 3).
///
/// Given the K generator losses L_k (L_k = the generator's loss against discriminator k,
/// adversarial_loss.hpp; larger when D_k is harder to fool), combine() gives the combined
/// loss F and the weights g_k = dF/dL_k, so that dF/dfake = sum_k g_k dL_k/dfake:
///   mean         F = 1/K sum_k L_k                       g_k = 1/K
///   max          F = max_k L_k (the harshest critic)     g_k = 1 for the first maximum, else 0
///   softmean:λ   w = softmax(λ L), F = sum_k w_k L_k     g_k = w_k (1 + λ (L_k - F))
///                (λ = 0 is the mean, λ -> inf the max: GMAN's soft-discriminator)
///   auto[:λ0[,η[,c]]]  softmean whose λ the generator learns (GMAN*, section 3.3): it
///                minimises J(λ) = F_λ(L) - c λ over λ >= 0, the reward c λ keeping it from
///                sliding to the mean. dJ/dλ = sum_k w_k L_k (L_k - F) - c = Var_w(L) - c,
///                and update() takes one projected gradient step λ <- max(0, λ - η dJ/dλ).
///                Defaults λ0 = 1, η = 0.01, c = 0.001 (GMAN*'s f(λ) = 0.001 λ).
/// softmean and auto differentiate through the weights (g_k above, the exact gradient of F),
/// as GMAN's own TensorFlow code does by not stopping the gradient; a PyTorch port that
/// detaches the weights would use g_k = w_k instead. With K = 1 every aggregate is L_1, and
/// the gradient is copied unchanged, so one discriminator trains exactly as before.
///
/// No allocation after construction: the weights are sized once for K.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/simd.hpp"
#include "gan/core/tensor.hpp"
#include "gan/models/attack.hpp"

namespace gan {

enum class AggregateKind { mean, max, softmean, learned };  // learned: "auto"

struct AggregateOptions {
  AggregateKind kind = AggregateKind::mean;
  double lambda = 1;        ///< softmean's λ; auto's starting λ
  double lambda_lr = 0.01;  ///< auto: η
  double reward = 0.001;    ///< auto: c

  /// The form parse_aggregate reads back: "mean", "max", "softmean:1", "auto:1,0.01,0.001".
  std::string str() const {
    using detail::round_trip;
    switch (kind) {
      case AggregateKind::mean:
        return "mean";
      case AggregateKind::max:
        return "max";
      case AggregateKind::softmean:
        return "softmean:" + round_trip(lambda);
      case AggregateKind::learned:
        return "auto:" + round_trip(lambda) + "," + round_trip(lambda_lr) + "," +
               round_trip(reward);
    }
    return "mean";
  }

  void validate() const {
    auto ok = [](double v) { return v >= 0 && v <= 1e6; };
    if (!ok(lambda) || !ok(lambda_lr) || !ok(reward))
      throw Error("aggregate " + str() + ": lambda, its rate and its reward must be in [0, 1e6]");
  }
};

/// "mean" | "max" | "softmean:λ" | "auto" | "auto:λ0" | "auto:λ0,η" | "auto:λ0,η,c".
inline AggregateOptions parse_aggregate(const std::string& text) {
  const std::string what = "aggregate '" + text.substr(0, 40) + "'";
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  AggregateOptions a;
  if (colon == std::string::npos && (name == "mean" || name == "max")) {
    a.kind = name == "mean" ? AggregateKind::mean : AggregateKind::max;
    return a;
  }
  if (name == "softmean" && colon != std::string::npos) {
    a.kind = AggregateKind::softmean;
    a.lambda = detail::parse_number(text.substr(colon + 1), what + " lambda");
  } else if (name == "auto") {
    a.kind = AggregateKind::learned;
    if (colon != std::string::npos) {
      std::vector<std::string> parts;
      std::string rest = text.substr(colon + 1);
      for (std::size_t c; (c = rest.find(',')) != std::string::npos; rest = rest.substr(c + 1))
        parts.push_back(rest.substr(0, c));
      parts.push_back(rest);
      if (parts.size() > 3) throw Error(what + ": expected auto:lambda,rate,reward at most");
      double* fields[] = {&a.lambda, &a.lambda_lr, &a.reward};
      for (std::size_t i = 0; i < parts.size(); ++i)
        *fields[i] = detail::parse_number(parts[i], what);
    }
  } else {
    throw Error("unknown " + what + ": expected mean, max, softmean:lambda or auto");
  }
  a.validate();
  return a;
}

class Aggregate {
 public:
  Aggregate(const AggregateOptions& options, std::size_t discriminators)
      : options_((options.validate(), options)),
        lambda_(options.lambda),
        weights_(discriminators, 0.0),
        mixture_(discriminators, 0.0) {
    if (discriminators < 1) throw Error("Aggregate: needs at least one discriminator");
  }

  const AggregateOptions& options() const noexcept { return options_; }
  std::size_t size() const noexcept { return weights_.size(); }
  /// softmean's λ, or auto's current λ.
  double lambda() const noexcept { return lambda_; }
  void set_lambda(double lambda) {
    if (!(lambda >= 0 && std::isfinite(lambda)))
      throw Error("Aggregate: lambda must be finite and >= 0");
    lambda_ = lambda;
  }

  /// F(L_1..L_K) for losses of size K; weights() then holds dF/dL_k.
  double combine(const std::vector<double>& losses) {
    const std::size_t k_count = weights_.size();
    if (losses.size() != k_count)
      throw Error("Aggregate: " + std::to_string(losses.size()) + " losses for " +
                  std::to_string(k_count) + " discriminators");
    if (k_count == 1) {
      weights_[0] = mixture_[0] = 1;
      lambda_grad_ = -options_.reward;
      return losses[0];
    }
    double f = 0;
    switch (options_.kind) {
      case AggregateKind::mean:
        // The sum in this order, term by term, is the two-discriminator trainer's own.
        for (std::size_t k = 0; k < k_count; ++k) {
          f += losses[k] / static_cast<double>(k_count);
          weights_[k] = mixture_[k] = 1.0 / static_cast<double>(k_count);
        }
        return f;
      case AggregateKind::max: {
        const auto top = static_cast<std::size_t>(std::max_element(losses.begin(), losses.end()) -
                                                  losses.begin());
        for (std::size_t k = 0; k < k_count; ++k) weights_[k] = mixture_[k] = k == top ? 1 : 0;
        return losses[top];
      }
      case AggregateKind::softmean:
      case AggregateKind::learned: {
        // Softmax shifted by the largest λ L_k, so exp never overflows.
        const double top = *std::max_element(losses.begin(), losses.end());
        double z = 0;
        for (std::size_t k = 0; k < k_count; ++k)
          z += mixture_[k] = std::exp(lambda_ * (losses[k] - top));
        for (std::size_t k = 0; k < k_count; ++k) f += (mixture_[k] /= z) * losses[k];
        double variance = 0;
        for (std::size_t k = 0; k < k_count; ++k) {
          weights_[k] = mixture_[k] * (1 + lambda_ * (losses[k] - f));
          variance += mixture_[k] * losses[k] * (losses[k] - f);
        }
        lambda_grad_ = variance - options_.reward;
        return f;
      }
    }
    return f;
  }

  /// F as combine(losses), and out = sum_k g_k grads[k] (every grads[k] of one shape): the
  /// generator's gradient through the combination.
  template <class T>
  double combine(const std::vector<double>& losses, const std::vector<const Tensor<T>*>& grads,
                 Tensor<T>& out) {
    const double f = combine(losses);
    if (grads.size() != weights_.size())
      throw Error("Aggregate: " + std::to_string(grads.size()) + " gradients for " +
                  std::to_string(weights_.size()) + " discriminators");
    if (weights_.size() == 1) {
      out = *grads[0];
      return f;
    }
    out.resize(grads[0]->shape());
    out.zero();
    for (std::size_t k = 0; k < grads.size(); ++k) {
      if (grads[k]->shape() != out.shape())
        throw Error("Aggregate: gradient " + std::to_string(k) + " is " + grads[k]->shape().str() +
                    ", gradient 0 " + out.shape().str());
      // The mean's weight is 1/K in T, as the two-discriminator trainer computed it.
      const T w = options_.kind == AggregateKind::mean ? T(1) / T(weights_.size())
                                                       : static_cast<T>(weights_[k]);
      if (w != T(0)) simd::axpy(out.size(), w, grads[k]->data(), out.data());
    }
    return f;
  }

  /// dF/dL_k of the last combine.
  const std::vector<double>& weights() const noexcept { return weights_; }
  /// The mixture of the last combine: softmax(λ L) for softmean and auto, 1/K, or the max.
  const std::vector<double>& mixture() const noexcept { return mixture_; }
  /// auto: dJ/dλ at the last combine (J = F_λ - c λ).
  double lambda_gradient() const noexcept { return lambda_grad_; }

  /// auto: λ <- max(0, λ - η dJ/dλ) with the gradient of the last combine; else nothing.
  void update() noexcept {
    if (options_.kind == AggregateKind::learned)
      lambda_ = std::max(0.0, lambda_ - options_.lambda_lr * lambda_grad_);
  }

 private:
  AggregateOptions options_;
  double lambda_;
  double lambda_grad_ = 0;
  std::vector<double> weights_, mixture_;
};

}  // namespace gan

#pragma once
/// How far attacks move a panel of discriminators: the measurement behind
/// docs/multi_discriminator.md and the gan_attack program.
///
///   attack_outcome(panel, images, labels, real, attack, lo, hi, rng, chunk)
///     images: [N, C, H, W] all real (real = true) or all generated; panel: 1..K
///     discriminators, judged together by their mean probability p(x) = 1/K sum_k P_k(x)
///     (P_k = D_k(x), or sigmoid of its logit): "real" when p(x) > 1/2.
///     The attacker (attack.hpp: fgsm, pgd) raises the panel's mean BCE on the true label,
///     L(x) = 1/K sum_k BCE(D_k(x), real ? 1 : 0), by its input gradient 1/K sum_k dL_k/dx,
///     keeping images in [lo, hi] and within epsilon of the original.
///   -> images, correct (verdicts right on the clean images) and flipped (of those, wrong
///      after the attack): the share of real images flipped to "fake" (or fakes to "real").
/// The panel is used as it is (call eval() first to judge with BatchNorm's running
/// statistics); its parameters are frozen while it runs (no gradient accumulates). Images are
/// processed `chunk` at a time; the result does not depend on the chunk in eval mode.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/core/simd.hpp"
#include "gan/models/adversarial_loss.hpp"
#include "gan/models/attack.hpp"
#include "gan/models/network.hpp"

namespace gan::run {

struct AttackOutcome {
  std::int64_t images = 0;
  std::int64_t correct = 0;  ///< right on the clean images
  std::int64_t flipped = 0;  ///< of the correct ones, wrong after the attack

  double clean_accuracy() const noexcept {
    return images ? static_cast<double>(correct) / static_cast<double>(images) : 0.0;
  }
  /// The attack's success rate: the share of correct verdicts it flipped.
  double flip_rate() const noexcept {
    return correct ? static_cast<double>(flipped) / static_cast<double>(correct) : 0.0;
  }
};

namespace detail {

/// The panel's mean probability of "real" for each image of the last forwards.
template <class T>
void panel_probability(const std::vector<AnyDiscriminator<T>*>& panel, const Tensor<T>& x,
                       const std::vector<int>& labels, std::vector<double>& p) {
  const index_t n = x.dim(0);
  p.assign(static_cast<std::size_t>(n), 0.0);
  for (AnyDiscriminator<T>* d : panel) {
    const Tensor<T>& s = d->forward(x, labels);
    for (index_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(s[i]);
      p[static_cast<std::size_t>(i)] +=
          (d->output() == Output::logits ? 1.0 / (1.0 + std::exp(-v)) : v) /
          static_cast<double>(panel.size());
    }
  }
}

}  // namespace detail

template <class T>
AttackOutcome attack_outcome(const std::vector<AnyDiscriminator<T>*>& panel,
                             const Tensor<T>& images, const std::vector<int>& labels, bool real,
                             const Attack& attack, double lo, double hi, Rng& rng,
                             index_t chunk = 100) {
  if (panel.empty()) throw Error("attack_outcome: the panel has no discriminator");
  if (images.rank() != 4 || images.dim(0) < 1)
    throw Error("attack_outcome: expected images [N, C, H, W], got " + images.shape().str());
  if (!labels.empty() && static_cast<index_t>(labels.size()) != images.dim(0))
    throw Error("attack_outcome: " + std::to_string(labels.size()) + " labels for " +
                std::to_string(images.dim(0)) + " images");
  if (chunk < 1) throw Error("attack_outcome: chunk must be >= 1");
  for (AnyDiscriminator<T>* d : panel) d->set_requires_grad(false);
  Tensor<T> x, attacked, sum, score_grad;
  std::vector<int> part;
  std::vector<double> before, after;
  auto gradient = [&](const Tensor<T>& at) -> const Tensor<T>& {
    sum.resize(at.shape());
    sum.zero();
    for (AnyDiscriminator<T>* d : panel) {
      discriminator_loss(Loss::bce, d->output(), d->forward(at, part), real, 0.0, score_grad);
      const Tensor<T>& dx = d->backward(score_grad);
      simd::axpy(sum.size(), T(1) / static_cast<T>(panel.size()), dx.data(), sum.data());
    }
    return sum;
  };
  AttackOutcome out;
  const index_t n = images.dim(0), per = images.shape().per_sample();
  for (index_t i0 = 0; i0 < n; i0 += chunk) {
    const index_t nb = std::min(chunk, n - i0);
    x.resize({nb, images.dim(1), images.dim(2), images.dim(3)});
    std::copy_n(images.data() + i0 * per, nb * per, x.data());
    part.clear();
    if (!labels.empty()) part.assign(labels.begin() + i0, labels.begin() + i0 + nb);
    detail::panel_probability(panel, x, part, before);
    perturb(attack, x, gradient, rng, lo, hi, attacked);
    detail::panel_probability(panel, attacked, part, after);
    for (index_t i = 0; i < nb; ++i) {
      const auto j = static_cast<std::size_t>(i);
      const bool right = real ? before[j] > 0.5 : before[j] <= 0.5;
      const bool still = real ? after[j] > 0.5 : after[j] <= 0.5;
      out.correct += right;
      out.flipped += right && !still;
    }
    out.images += nb;
  }
  for (AnyDiscriminator<T>* d : panel) d->set_requires_grad(true);
  return out;
}

}  // namespace gan::run

#pragma once
/// Hardening<T>: a discriminator trained on attacked inputs, so that small perturbations
/// of an image do not flip its verdict (adversarial training, Goodfellow, Shlens & Szegedy
/// 2015 section 6; with PGD, Madry et al. 2018), or on noisy inputs (instance noise,
/// Sønderby et al. 2017).
///
///   apply(d, x, labels, loss, real, smoothing): x: [N, C, H, W] -> the batch D trains on,
///   x itself for `none`, else perturb(attack, x, ...) (attack.hpp) with L = D's own loss
///   term on x (its real term with the smoothed target when real, its fake term otherwise,
///   adversarial_loss.hpp), whose input gradient D's backward returns. The attack's
///   passes freeze D's parameters (no gradient is accumulated) but run in D's current mode,
///   so a D with BatchNorm updates its running statistics on them as on any training pass.
///   The result stays valid until the next apply.
///
/// Each discriminator of a Trainer has its own (HardeningOptions::attacks, one per
/// discriminator or one for all) and its own noise generator, seeded from the trainer's
/// seed and its index and saved in checkpoints, so a hardened run resumes exactly.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/models/adversarial_loss.hpp"
#include "gan/models/attack.hpp"
#include "gan/models/network.hpp"

namespace gan {

struct HardeningOptions {
  /// The attack of each discriminator's training inputs: K entries, one for all, or none.
  std::vector<Attack> attacks;
  /// The images' range, which fgsm and pgd clip to (data::Range: [0, 1] or [-1, 1]).
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();

  /// Throws gan::Error unless there are 0, 1 or `discriminators` attacks and lo < hi.
  void validate(std::size_t discriminators) const {
    if (attacks.size() > 1 && attacks.size() != discriminators)
      throw Error("Trainer: " + std::to_string(attacks.size()) + " discriminator attacks (" +
                  to_string(attacks) + ") for " + std::to_string(discriminators) +
                  " discriminators: give one for all or one each");
    if (!(lo < hi)) throw Error("Trainer: the hardening range must have lo < hi");
  }

  /// The attack of discriminator k.
  Attack of(std::size_t k) const {
    if (attacks.empty()) return {};
    return attacks.size() == 1 ? attacks.front() : attacks.at(k);
  }
};

template <class T>
class Hardening {
 public:
  Hardening(const Attack& attack, std::uint64_t seed, double lo, double hi)
      : attack_(attack), rng_(seed), lo_(lo), hi_(hi) {}

  const Attack& attack() const noexcept { return attack_; }
  bool active() const noexcept { return attack_.kind != AttackKind::none; }
  /// The noise of noise:σ and of pgd's random start.
  Rng& rng() noexcept { return rng_; }
  const Rng& rng() const noexcept { return rng_; }

  const Tensor<T>& apply(AnyDiscriminator<T>& d, const Tensor<T>& x, const std::vector<int>& labels,
                         Loss loss, bool real, double smoothing) {
    if (!active()) return x;
    auto gradient = [&](const Tensor<T>& at) -> const Tensor<T>& {
      d.set_requires_grad(false);
      discriminator_loss(loss, d.output(), d.forward(at, labels), real, smoothing, scores_grad_);
      const Tensor<T>& dx = d.backward(scores_grad_);
      d.set_requires_grad(true);
      return dx;
    };
    perturb(attack_, x, gradient, rng_, lo_, hi_, out_);
    return out_;
  }

 private:
  Attack attack_;
  Rng rng_;
  double lo_, hi_;
  Tensor<T> out_, scores_grad_;
};

}  // namespace gan

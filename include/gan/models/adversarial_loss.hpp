#pragma once
/// The adversarial losses of the Trainer, each as the discriminator's two terms and the
/// generator's term, on a discriminator's scores [N, 1] (probabilities, or logits when the
/// discriminator has Output::logits). Every function returns the term's mean and
/// OVERWRITES grad with its gradient with respect to the scores.
///
///   bce    D: -log D(x) - log(1 - D(G(z)))        G: -log D(G(z))
///          (Goodfellow et al. 2014; the generator's is the non-saturating form of their
///          section 3). On logits this is the stable BCE-with-logits, the "non-saturating
///          loss on logits" of modern recipes.
///   lsgan  D: 1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2     G: 1/2 (D(G(z)) - 1)^2
///          (Mao et al. 2017, eq. 2 with a = 0, b = c = 1), on the scores as they are.
/// One-sided label smoothing (Salimans et al. 2016) replaces the real target 1 by
/// 1 - smoothing in the discriminator's real term.

#include <string>

#include "gan/core/error.hpp"
#include "gan/losses/losses.hpp"
#include "gan/models/discriminator.hpp"

namespace gan {

enum class Loss { bce, lsgan };

inline std::string to_string(Loss l) { return l == Loss::bce ? "bce" : "lsgan"; }

/// "bce" | "lsgan"
inline Loss parse_loss(const std::string& name) {
  if (name == "bce") return Loss::bce;
  if (name == "lsgan") return Loss::lsgan;
  throw Error("unknown loss '" + name + "': expected bce or lsgan");
}

/// A discriminator's term on real (real = true) or generated scores.
template <class T>
double discriminator_loss(Loss loss, Output output, const Tensor<T>& scores, bool real,
                          double smoothing, Tensor<T>& grad) {
  const T target = real ? T(1 - smoothing) : T(0);
  if (loss == Loss::lsgan) return least_squares_loss(scores, target, grad);
  if (output == Output::logits) return bce_with_logits_loss(scores, target, grad);
  return bce_loss(scores, target, grad);
}

/// The generator's term on the scores of its samples.
template <class T>
double generator_loss(Loss loss, Output output, const Tensor<T>& scores, Tensor<T>& grad) {
  return discriminator_loss(loss, output, scores, true, 0.0, grad);
}

}  // namespace gan

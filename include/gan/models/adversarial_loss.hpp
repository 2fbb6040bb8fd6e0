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
///   hinge  D: relu(1 - D(x)) + relu(1 + D(G(z)))  G: -D(G(z))
///          (Lim & Ye 2017; Miyato et al. 2018), on logits only.
/// One-sided label smoothing (Salimans et al. 2016) replaces the real target 1 by
/// 1 - smoothing in the discriminator's real term.

#include <string>

#include "gan/core/error.hpp"
#include "gan/losses/hinge.hpp"
#include "gan/losses/losses.hpp"
#include "gan/models/discriminator.hpp"

namespace gan {

enum class Loss { bce, lsgan, hinge };

inline std::string to_string(Loss l) {
  return l == Loss::bce ? "bce" : l == Loss::lsgan ? "lsgan" : "hinge";
}

/// "bce" | "lsgan" | "hinge"
inline Loss parse_loss(const std::string& name) {
  if (name == "bce") return Loss::bce;
  if (name == "lsgan") return Loss::lsgan;
  if (name == "hinge") return Loss::hinge;
  throw Error("unknown loss '" + name + "': expected bce, lsgan or hinge");
}

/// Throws gan::Error when `loss` cannot be computed on scores of this kind.
inline void check_loss(Loss loss, Output output, const std::string& who) {
  if (loss == Loss::hinge && output != Output::logits)
    throw Error("Trainer: the hinge loss needs raw scores, but " + who +
                " ends in a Sigmoid (use a logits discriminator)");
}

/// A discriminator's term on real (real = true) or generated scores.
template <class T>
double discriminator_loss(Loss loss, Output output, const Tensor<T>& scores, bool real,
                          double smoothing, Tensor<T>& grad) {
  if (loss == Loss::hinge) return hinge_loss(scores, real ? T(1) : T(-1), grad);
  const T target = real ? T(1 - smoothing) : T(0);
  if (loss == Loss::lsgan) return least_squares_loss(scores, target, grad);
  if (output == Output::logits) return bce_with_logits_loss(scores, target, grad);
  return bce_loss(scores, target, grad);
}

/// The generator's term on the scores of its samples.
template <class T>
double generator_loss(Loss loss, Output output, const Tensor<T>& scores, Tensor<T>& grad) {
  if (loss == Loss::hinge) return hinge_generator_loss(scores, grad);
  return discriminator_loss(loss, output, scores, true, 0.0, grad);
}

}  // namespace gan

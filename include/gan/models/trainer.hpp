#pragma once
/// Trainer<G, D>: the GAN training step (Goodfellow et al. 2014, Algorithm 1, with the
/// non-saturating generator loss of section 3) and the state a checkpoint needs.
///
/// step(real, labels) with real: [N, C, H, W] (and labels: [N] for conditional models):
///  1. d_steps times: z ~ N(0, I); fake = G(z, labels); one Adam step of D on
///     L_D = loss(D(real), r) + loss(D(fake), 0), r = 1 - label_smoothing
///     (one-sided smoothing, Salimans et al. 2016). Fakes reuse the real batch's labels.
///  2. one Adam step of G on the last fake: L_G = loss(D(fake), 1) (+ lambda * MSE(fake, real)
///     for the hybrid loss), with D's parameters frozen.
/// loss: bce (probabilities, or logits when D has Output::logits), lsgan (least squares,
/// Mao et al. 2017: D minimises 1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2, G minimises
/// 1/2 (D(G(z)) - 1)^2), hybrid (bce + lambda * MSE to the paired real image, as in
/// pix2pix, Isola et al. 2017: real[i] is the target of the fake made from labels[i]).
/// The trainer holds references to G and D, which must outlive it and not move.

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/core/simd.hpp"
#include "gan/losses/losses.hpp"
#include "gan/models/discriminator.hpp"
#include "gan/models/generator.hpp"
#include "gan/optim/adam.hpp"

namespace gan {

enum class Loss { bce, lsgan, hybrid };

inline std::string to_string(Loss l) {
  switch (l) {
    case Loss::bce:
      return "bce";
    case Loss::lsgan:
      return "lsgan";
    case Loss::hybrid:
      return "hybrid";
  }
  return "?";
}

/// "bce" | "lsgan" | "hybrid"
inline Loss parse_loss(const std::string& name) {
  if (name == "bce") return Loss::bce;
  if (name == "lsgan") return Loss::lsgan;
  if (name == "hybrid") return Loss::hybrid;
  throw Error("unknown loss '" + name + "': expected bce, lsgan or hybrid");
}

struct TrainerOptions {
  Loss loss = Loss::bce;
  double lambda = 10.0;  ///< hybrid: weight of MSE(G(z), x)
  double lr_g = 2e-4;    ///< DCGAN's Adam settings (Radford et al. 2016, section 4)
  double lr_d = 2e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  int d_steps = 1;               ///< discriminator steps per generator step
  double label_smoothing = 0.0;  ///< real target of D is 1 - label_smoothing
  std::uint64_t seed = 0;        ///< seeds the noise

  void validate() const {
    auto fail = [](const std::string& what) { throw Error("Trainer: " + what); };
    if (!(lr_g > 0) || !(lr_d > 0)) fail("learning rates must be > 0");
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) fail("betas must be in [0, 1)");
    if (d_steps < 1) fail("d_steps must be >= 1, got " + std::to_string(d_steps));
    if (!(label_smoothing >= 0 && label_smoothing < 1)) fail("label_smoothing must be in [0, 1)");
    if (!(lambda >= 0)) fail("lambda must be >= 0");
  }
};

/// The figures of one training step.
struct StepStats {
  double d_loss = 0;  ///< L_D of the last discriminator step
  double g_loss = 0;  ///< L_G, including lambda * MSE for the hybrid loss
  double d_real = 0;  ///< mean D(x), as a probability
  double d_fake = 0;  ///< mean D(G(z)) before the discriminator step, as a probability
};

template <class G, class D>
class Trainer {
 public:
  using T = typename G::value_type;
  static_assert(std::is_same_v<T, typename D::value_type>, "G and D must share a value_type");

  Trainer(G& generator, D& discriminator, const TrainerOptions& options = {})
      : g_(generator),
        d_(discriminator),
        options_((options.validate(), options)),
        rng_(options.seed),
        opt_g_(generator.parameters(), adam(options.lr_g)),
        opt_d_(discriminator.parameters(), adam(options.lr_d)) {
    if (generator.classes() != discriminator.classes())
      throw Error("Trainer: generator has " + std::to_string(generator.classes()) +
                  " classes, discriminator " + std::to_string(discriminator.classes()));
  }

  /// One discriminator update (d_steps of them) and one generator update.
  StepStats step(const Tensor<T>& real, const std::vector<int>& labels = {}) {
    if (real.rank() != 4 || real.dim(0) < 1)
      throw Error("Trainer: expected a real batch [N, C, H, W], got " + real.shape().str());
    const index_t n = real.dim(0);
    StepStats s;
    const Tensor<T>* fake = nullptr;
    for (int k = 0; k < options_.d_steps; ++k) {
      g_.sample_noise(z_, n, rng_);
      fake = &g_.forward(z_, labels);
      if (fake->shape() != real.shape())
        throw Error("Trainer: generator makes " + fake->shape().str() + ", real batch is " +
                    real.shape().str());
      d_.zero_grad();
      const Tensor<T>& on_real = d_.forward(real, labels);
      s.d_real = mean_probability(on_real);
      double loss = adversarial(on_real, T(1 - options_.label_smoothing));
      d_.backward(grad_);
      const Tensor<T>& on_fake = d_.forward(*fake, labels);
      s.d_fake = mean_probability(on_fake);
      loss += adversarial(on_fake, T(0));
      d_.backward(grad_);
      opt_d_.step();
      s.d_loss = loss;
    }

    g_.zero_grad();
    d_.set_requires_grad(false);
    s.g_loss = adversarial(d_.forward(*fake, labels), T(1));
    const Tensor<T>& d_fake = d_.backward(grad_);
    if (options_.loss == Loss::hybrid) {
      s.g_loss += options_.lambda * mse_loss(*fake, real, mse_grad_);
      g_grad_ = d_fake;
      simd::axpy(g_grad_.size(), T(options_.lambda), mse_grad_.data(), g_grad_.data());
      g_.backward(g_grad_);
    } else {
      g_.backward(d_fake);
    }
    d_.set_requires_grad(true);
    opt_g_.step();
    ++steps_;
    return s;
  }

  std::int64_t steps() const noexcept { return steps_; }
  const TrainerOptions& options() const noexcept { return options_; }
  /// The noise source (also usable for data shuffling by the caller).
  Rng& rng() noexcept { return rng_; }

  /// Every tensor a resumed run needs, named as in a PyTorch state_dict:
  /// "generator.<param>", "discriminator.<param>" (and buffers), and the Adam moments
  /// "optimizer_g.<param>.exp_avg" / ".exp_avg_sq", likewise "optimizer_d.".
  std::vector<Buffer<T>> state_tensors() {
    std::vector<Buffer<T>> out;
    auto add = [&out](const std::string& prefix, auto&& list) {
      for (auto& t : list) out.push_back({prefix + t.name, t.value});
    };
    add("generator.", g_.parameters());
    add("generator.", g_.buffers());
    add("discriminator.", d_.parameters());
    add("discriminator.", d_.buffers());
    add("optimizer_g.", opt_g_.state());
    add("optimizer_d.", opt_d_.state());
    return out;
  }

  /// The scalar state: step counts and the noise generator.
  std::map<std::string, std::string> state_metadata() const {
    return {{"step", std::to_string(steps_)},
            {"optimizer_g.step", std::to_string(opt_g_.steps())},
            {"optimizer_d.step", std::to_string(opt_d_.steps())},
            {"rng", rng_.state()}};
  }

  /// Throws gan::Error unless m holds a valid state_metadata(); changes nothing.
  void check_state_metadata(const std::map<std::string, std::string>& m) const { parse(m); }

  /// Restores what state_metadata() gave; on a missing or bad entry throws gan::Error
  /// and changes nothing.
  void set_state_metadata(const std::map<std::string, std::string>& m) {
    const SavedState s = parse(m);
    steps_ = s.steps;
    opt_g_.set_steps(s.steps_g);
    opt_d_.set_steps(s.steps_d);
    rng_ = s.rng;
  }

 private:
  struct SavedState {
    std::int64_t steps = 0, steps_g = 0, steps_d = 0;
    Rng rng;
  };

  static SavedState parse(const std::map<std::string, std::string>& m) {
    auto get = [&m](const std::string& key) {
      auto it = m.find(key);
      if (it == m.end()) throw Error("Trainer: checkpoint metadata lacks '" + key + "'");
      return it->second;
    };
    auto count = [&](const std::string& key) {
      const std::string v = get(key);
      std::size_t used = 0;
      long long x = -1;
      try {
        x = std::stoll(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != v.size() || x < 0)
        throw Error("Trainer: checkpoint metadata '" + key + "' is not a count: '" + v + "'");
      return static_cast<std::int64_t>(x);
    };
    SavedState s;
    s.steps = count("step");
    s.steps_g = count("optimizer_g.step");
    s.steps_d = count("optimizer_d.step");
    s.rng.set_state(get("rng"));
    return s;
  }

  AdamOptions adam(double lr) const {
    AdamOptions a;
    a.lr = lr;
    a.beta1 = options_.beta1;
    a.beta2 = options_.beta2;
    return a;
  }

  /// The adversarial loss of scores against one label; writes its gradient to grad_.
  double adversarial(const Tensor<T>& scores, T target) {
    if (options_.loss == Loss::lsgan) return least_squares_loss(scores, target, grad_);
    if (d_.output() == Output::logits) return bce_with_logits_loss(scores, target, grad_);
    return bce_loss(scores, target, grad_);
  }

  double mean_probability(const Tensor<T>& scores) const {
    double sum = 0;
    for (T v : scores)
      sum += d_.output() == Output::logits ? 1.0 / (1.0 + std::exp(-static_cast<double>(v)))
                                           : static_cast<double>(v);
    return sum / static_cast<double>(scores.size());
  }

  G& g_;
  D& d_;
  TrainerOptions options_;
  Rng rng_;
  Adam<T> opt_g_, opt_d_;
  std::int64_t steps_ = 0;
  Tensor<T> z_, grad_, mse_grad_, g_grad_;
};

}  // namespace gan

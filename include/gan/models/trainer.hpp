#pragma once
/// Trainer<T>: the GAN training step (Goodfellow et al. 2014, Algorithm 1, with the
/// non-saturating generator loss of section 3) for one generator and K >= 1
/// discriminators, and the state a checkpoint needs.
///
/// step(real, labels) with real: [N, C, H, W] (and labels: [N] for conditional models):
///  1. d_steps times: z ~ N(0, I); fake = G(z, labels); for each discriminator k, one Adam
///     step on L_D,k = loss_real(D_k(h_k(real))) + loss_fake(D_k(h_k(fake)))
///     (adversarial_loss.hpp), h_k its hardening (hardening.hpp: none, noise, fgsm, pgd).
///     Fakes reuse the real batch's labels; every discriminator sees the same fakes.
///  2. one Adam step of G on the last fake, with every D frozen:
///     L_G = F(L_G,1, ..., L_G,K) + recon * MSE(fake, real), F the aggregate of GMAN
///     (Durugkar et al. 2017; aggregate.hpp: mean, max, softmean:λ, auto), backpropagated
///     as sum_k dF/dL_G,k dL_G,k/dfake; auto then takes its step on λ. With K = 1 this is
///     exactly the single-discriminator step. recon > 0 pulls the fake made for sample i
///     towards real image i (pix2pix's L2 term, Isola et al. 2017), with any adversarial loss.
/// With an augmentation policy (DiffAugment, Zhao et al. 2020) every batch D sees, real or
/// fake, in either step, is augmented by a fresh draw, and G's gradient flows back through
/// the augmentation. With a shadow generator (set_ema) its weights follow G's by an
/// exponential moving average after every generator step (Karras et al. 2018; Yazıcı et al.
/// 2019); samples are best drawn from the shadow.
/// A step whose loss or gradients are not finite is not applied: step() throws
/// NonFiniteError naming the step and the network, before that network's optimiser runs.
/// set_data_parallel() makes the trainer one of several processes that share each batch
/// (data_parallel.hpp): noise by global sample index, gradients and losses summed across
/// processes before each guard, the step's figures averaged.
///
/// The trainer holds references to G and the discriminators, which must outlive it and not
/// move. The nets may be Generator<Net> / Discriminator<Net> or their type-erased forms
/// (network.hpp); the trainer itself is compiled once per value type.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/core/simd.hpp"
#include "gan/layers/diff_augment.hpp"
#include "gan/losses/losses.hpp"
#include "gan/models/adversarial_loss.hpp"
#include "gan/models/aggregate.hpp"
#include "gan/models/data_parallel.hpp"
#include "gan/models/hardening.hpp"
#include "gan/models/network.hpp"
#include "gan/optim/adam.hpp"
#include "gan/optim/ema.hpp"

namespace gan {

struct TrainerOptions {
  Loss loss = Loss::bce;
  double recon = 0;    ///< weight of MSE(G(z), x) in the generator's loss
  double lr_g = 2e-4;  ///< DCGAN's Adam settings (Radford et al. 2016, section 4); different
  double lr_d = 2e-4;  ///< rates for G and D are TTUR (Heusel et al. 2017)
  double beta1 = 0.5;
  double beta2 = 0.999;
  int d_steps = 1;               ///< discriminator steps per generator step
  double label_smoothing = 0.0;  ///< real target of D is 1 - label_smoothing (bce, lsgan)
  std::uint64_t seed = 0;        ///< seeds the noise (and the augmentation)
  AugmentPolicy augment;         ///< DiffAugment of D's inputs; empty: none
  AggregateOptions aggregate;    ///< how G combines K discriminators (aggregate.hpp)
  HardeningOptions hardening;    ///< the attack on each D's training inputs (hardening.hpp)

  void validate() const {
    auto fail = [](const std::string& what) { throw Error("Trainer: " + what); };
    if (!(lr_g > 0 && std::isfinite(lr_g)) || !(lr_d > 0 && std::isfinite(lr_d)))
      fail("learning rates must be finite and > 0");
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) fail("betas must be in [0, 1)");
    if (d_steps < 1) fail("d_steps must be >= 1, got " + std::to_string(d_steps));
    if (!(label_smoothing >= 0 && label_smoothing < 1)) fail("label_smoothing must be in [0, 1)");
    if (!(recon >= 0 && std::isfinite(recon))) fail("recon must be finite and >= 0");
    if (label_smoothing > 0 && loss == Loss::hinge)
      fail("label_smoothing has no meaning for the hinge loss");
    aggregate.validate();
  }
};

/// The figures of one training step.
struct StepStats {
  double d_loss = 0;  ///< L_D of the last discriminator step (the mean over discriminators)
  double g_loss = 0;  ///< L_G, including recon * MSE
  double d_real = 0;  ///< mean D(x), as a probability (mean over discriminators)
  double d_fake = 0;  ///< mean D(G(z)) before the discriminator step, as a probability
};

/// A step produced a loss or gradient that is not finite; nothing of that network's
/// update was applied.
class NonFiniteError : public Error {
 public:
  NonFiniteError(std::int64_t step, const std::string& network, const std::string& what)
      : Error("step " + std::to_string(step) + ": " + network + "'s " + what +
              " is not finite; the update was not applied (a learning rate too high? "
              "try a lower --lr)"),
        step_(step),
        network_(network) {}
  std::int64_t step() const noexcept { return step_; }
  const std::string& network() const noexcept { return network_; }

 private:
  std::int64_t step_;
  std::string network_;
};

template <class T>
class Trainer {
 public:
  using value_type = T;

  /// One discriminator; g and d are Generator / Discriminator objects (or erased ones).
  template <class G, class D,
            class = std::enable_if_t<!std::is_same_v<D, std::vector<AnyDiscriminator<T>*>>>>
  Trainer(G& generator, D& discriminator, const TrainerOptions& options = {})
      : Trainer(hold<AnyGenerator<T>>(generator), hold<AnyDiscriminator<T>>(discriminator),
                options) {}

  /// K discriminators, in the order their checkpoint names number them.
  Trainer(AnyGenerator<T>& generator, const std::vector<AnyDiscriminator<T>*>& discriminators,
          const TrainerOptions& options = {})
      : Trainer(Held<AnyGenerator<T>>{nullptr, &generator}, Held<AnyDiscriminator<T>>{}, options,
                discriminators) {}

  /// One discriminator update per D (d_steps of them) and one generator update.
  StepStats step(const Tensor<T>& real, const std::vector<int>& labels = {}) {
    if (real.rank() != 4 || real.dim(0) < 1)
      throw Error("Trainer: expected a real batch [N, C, H, W], got " + real.shape().str());
    const index_t n = real.dim(0);
    if (parallel_.enabled() && n != parallel_.count)
      throw Error("Trainer: this process's share of the batch is " +
                  std::to_string(parallel_.count) + " samples, got " + std::to_string(n));
    const auto k_count = static_cast<double>(ds_.size());
    StepStats s;
    const Tensor<T>* fake = nullptr;
    for (int step = 0; step < options_.d_steps; ++step) {
      draw_noise(n);
      fake = &g_->forward(z_, labels);
      if (fake->shape() != real.shape())
        throw Error("Trainer: generator makes " + fake->shape().str() + ", real batch is " +
                    real.shape().str());
      s.d_loss = s.d_real = s.d_fake = 0;
      for (std::size_t k = 0; k < ds_.size(); ++k) {
        AnyDiscriminator<T>& d = *ds_[k];
        d.zero_grad();
        const Tensor<T>& on_real =
            finite(d.forward(hardening_[k].apply(d, augmented(real), labels, options_.loss, true,
                                                 options_.label_smoothing),
                             labels),
                   k);
        const double d_real = mean_probability(on_real, d.output());
        double loss = discriminator_loss(options_.loss, d.output(), on_real, true,
                                         options_.label_smoothing, grad_);
        d.backward(grad_);
        const Tensor<T>& on_fake = finite(
            d.forward(hardening_[k].apply(d, augmented(*fake), labels, options_.loss, false, 0.0),
                      labels),
            k);
        const double d_fake = mean_probability(on_fake, d.output());
        loss += discriminator_loss(options_.loss, d.output(), on_fake, false, 0.0, grad_);
        d.backward(grad_);
        guard(loss, opt_d_[k]->parameters(), static_cast<int>(k));
        opt_d_[k]->step();
        d_losses_[k] = loss;
        s.d_loss += loss / k_count;
        s.d_real += d_real / k_count;
        s.d_fake += d_fake / k_count;
      }
    }

    g_->zero_grad();
    // One augmentation draw for every D here: the aggregate's gradient is a weighted sum of
    // the D's input gradients and the augmentation is linear, so one backward through it
    // after combining equals K backwards before.
    const Tensor<T>& seen = augmented(*fake);
    for (std::size_t k = 0; k < ds_.size(); ++k) {
      AnyDiscriminator<T>& d = *ds_[k];
      const Tensor<T>& scores = finite(d.forward(seen, labels), k);
      d.set_requires_grad(false);
      g_losses_[k] = generator_loss(options_.loss, d.output(), scores, grad_);
      dxs_[k] = &d.backward(grad_);  // each D's own buffer: valid until its next backward
      d.set_requires_grad(true);
    }
    double g_loss = aggregate_.combine(g_losses_, dxs_, g_grad_);
    if (augment_) g_grad_ = augment_->backward(g_grad_);  // same shape: no allocation
    if (options_.recon > 0) {
      g_loss += options_.recon * mse_loss(*fake, real, mse_grad_);
      simd::axpy(g_grad_.size(), T(options_.recon), mse_grad_.data(), g_grad_.data());
    }
    g_->backward(g_grad_);
    guard(g_loss, opt_g_->parameters(), generator_index);
    opt_g_->step();
    if (ema_) ema_->update();
    aggregate_.update();
    s.g_loss = g_loss;
    if (parallel_.enabled()) {
      stats_[0] = s.d_real;
      stats_[1] = s.d_fake;
      std::copy(g_losses_.begin(), g_losses_.end(), stats_.begin() + 2);
      parallel_.average_scalars(stats_.data(), stats_.size(), share_weight_);
      s.d_real = stats_[0];
      s.d_fake = stats_[1];
      std::copy(stats_.begin() + 2, stats_.end(), g_losses_.begin());
    }
    ++steps_;
    return s;
  }

  /// Makes `shadow` (a generator of the same architecture, outliving the trainer) follow G
  /// by an exponential moving average after every generator step, starting as a copy of G.
  /// Its weights join the checkpoint as "generator_ema.*".
  void set_ema(AnyGenerator<T>& shadow, const EmaOptions& options = {}) {
    ema_ = std::make_unique<Ema<T>>(g_->parameters(), g_->buffers(), shadow.parameters(),
                                    shadow.buffers(), options);
    ema_->copy();
    shadow_ = &shadow;
  }
  /// The generator to draw samples from: the EMA shadow when there is one, else G.
  AnyGenerator<T>& sampler() noexcept { return shadow_ ? *shadow_ : *g_; }
  bool has_ema() const noexcept { return shadow_ != nullptr; }
  /// Makes this trainer one process of a data-parallel job (data_parallel.hpp); a
  /// default DataParallel makes it train alone again. Throws gan::Error for a bad share.
  void set_data_parallel(DataParallel<T> parallel) {
    parallel.validate();
    // max, softmean and auto weigh the K losses of this process's share alone, so the
    // processes would combine their gradients differently (and auto's λ would drift apart).
    if (parallel.enabled() && ds_.size() > 1 && options_.aggregate.kind != AggregateKind::mean)
      throw Error(
          "Trainer: data-parallel training combines K discriminators by the mean only, "
          "got aggregate " +
          options_.aggregate.str());
    parallel_ = std::move(parallel);
    share_weight_ = parallel_.enabled() ? static_cast<double>(parallel_.count) /
                                              static_cast<double>(parallel_.global_batch)
                                        : 1.0;
    stats_.assign(2 + ds_.size(), 0.0);
  }
  const DataParallel<T>& data_parallel() const noexcept { return parallel_; }

  std::int64_t steps() const noexcept { return steps_; }
  const TrainerOptions& options() const noexcept { return options_; }
  std::size_t discriminator_count() const noexcept { return ds_.size(); }
  /// L_D,k of the last discriminator step and L_G,k of the last generator step.
  double discriminator_loss_of(std::size_t k) const { return d_losses_.at(k); }
  double generator_loss_of(std::size_t k) const { return g_losses_.at(k); }
  AnyGenerator<T>& generator() noexcept { return *g_; }
  AnyDiscriminator<T>& discriminator(std::size_t k = 0) { return *ds_.at(k); }
  /// The combination of the generator's losses (auto's λ lives here).
  const Aggregate& aggregate() const noexcept { return aggregate_; }
  Hardening<T>& hardening(std::size_t k) { return hardening_.at(k); }
  /// The noise source.
  Rng& rng() noexcept { return rng_; }

  /// "discriminator" for the first (PyTorch-style names, as with one discriminator),
  /// "discriminator_<k>" for the others.
  static std::string discriminator_name(std::size_t k) {
    return k == 0 ? "discriminator" : "discriminator_" + std::to_string(k);
  }

  /// Every tensor a resumed run needs, named as in a PyTorch state_dict:
  /// "generator.<param>", "discriminator.<param>" (and buffers; "discriminator_<k>." for
  /// the k-th of several), and the Adam moments "optimizer_g.<param>.exp_avg" /
  /// ".exp_avg_sq", likewise "optimizer_d." ("optimizer_d_<k>.").
  std::vector<Buffer<T>> state_tensors() {
    std::vector<Buffer<T>> out;
    auto add = [&out](const std::string& prefix, auto&& list) {
      for (auto& t : list) out.push_back({prefix + t.name, t.value});
    };
    add("generator.", g_->parameters());
    add("generator.", g_->buffers());
    if (shadow_) {
      add("generator_ema.", shadow_->parameters());
      add("generator_ema.", shadow_->buffers());
    }
    for (std::size_t k = 0; k < ds_.size(); ++k) {
      add(discriminator_name(k) + ".", ds_[k]->parameters());
      add(discriminator_name(k) + ".", ds_[k]->buffers());
    }
    add("optimizer_g.", opt_g_->state());
    for (std::size_t k = 0; k < ds_.size(); ++k) add(optimizer_d_name(k) + ".", opt_d_[k]->state());
    return out;
  }

  /// The scalar state: step counts, the noise generator, the number of discriminators, the
  /// aggregate ("aggregate", and auto's "aggregate.lambda"), the discriminators' attacks
  /// ("d_attacks") and the noise generators of those that draw noise ("d_attack_<k>.rng").
  std::map<std::string, std::string> state_metadata() const {
    std::map<std::string, std::string> m = {{"step", std::to_string(steps_)},
                                            {"optimizer_g.step", std::to_string(opt_g_->steps())},
                                            {"discriminators", std::to_string(ds_.size())},
                                            {"rng", rng_.state()},
                                            {"aggregate", options_.aggregate.str()},
                                            {"d_attacks", attacks_text()}};
    for (std::size_t k = 0; k < ds_.size(); ++k)
      m[optimizer_d_name(k) + ".step"] = std::to_string(opt_d_[k]->steps());
    if (augment_) m["rng_augment"] = augment_rng_.state();
    if (ema_) m["ema.step"] = std::to_string(ema_->steps());
    if (options_.aggregate.kind == AggregateKind::learned)
      m["aggregate.lambda"] = detail::round_trip(aggregate_.lambda());
    for (std::size_t k = 0; k < ds_.size(); ++k)
      if (hardening_[k].active()) m[attack_rng_name(k)] = hardening_[k].rng().state();
    return m;
  }

  /// Throws gan::Error unless m holds a valid state_metadata() for this trainer (the same
  /// number of discriminators); changes nothing.
  void check_state_metadata(const std::map<std::string, std::string>& m) const { parse(m); }

  /// Restores what state_metadata() gave; on a missing or bad entry throws gan::Error
  /// and changes nothing.
  void set_state_metadata(const std::map<std::string, std::string>& m) {
    const SavedState s = parse(m);
    steps_ = s.steps;
    opt_g_->set_steps(s.steps_g);
    for (std::size_t k = 0; k < ds_.size(); ++k) opt_d_[k]->set_steps(s.steps_d[k]);
    rng_ = s.rng;
    if (augment_) augment_rng_ = s.augment_rng;
    if (ema_) ema_->set_steps(s.steps_ema);
    aggregate_.set_lambda(s.lambda);
    for (std::size_t k = 0; k < ds_.size(); ++k) hardening_[k].rng() = s.attack_rngs[k];
  }

 private:
  /// A net as its erased interface, and the view that makes it one when it is not.
  template <class Interface>
  struct Held {
    std::unique_ptr<Interface> own;
    Interface* ptr = nullptr;
  };

  template <class Interface, class Net>
  static Held<Interface> hold(Net& net) {
    static_assert(std::is_same_v<typename Net::value_type, T>, "G and D must share a value_type");
    if constexpr (std::is_base_of_v<Interface, Net>) {
      return {nullptr, &net};
    } else {
      std::unique_ptr<Interface> own;
      if constexpr (std::is_same_v<Interface, AnyGenerator<T>>)
        own = erase_generator_ref(net);
      else
        own = erase_discriminator_ref(net);
      Interface* ptr = own.get();
      return {std::move(own), ptr};
    }
  }

  Trainer(Held<AnyGenerator<T>> g, Held<AnyDiscriminator<T>> d, const TrainerOptions& options,
          std::vector<AnyDiscriminator<T>*> ds = {})
      : options_((options.validate(), options)),
        own_g_(std::move(g.own)),
        own_d_(std::move(d.own)),
        g_(g.ptr),
        ds_(d.ptr ? std::vector<AnyDiscriminator<T>*>{d.ptr} : std::move(ds)),
        rng_(options.seed),
        augment_rng_(options.seed ^ 0xA5A5A5A5DEADBEEFULL),
        // (an empty list is refused below, with the trainer's message)
        aggregate_(options_.aggregate, std::max<std::size_t>(ds_.size(), 1)) {
    if (ds_.empty()) throw Error("Trainer: needs at least one discriminator");
    for (std::size_t k = 0; k < ds_.size(); ++k) {
      if (ds_[k] == nullptr)
        throw Error("Trainer: discriminator " + std::to_string(k) + " is null");
      if (ds_[k]->classes() != g_->classes())
        throw Error("Trainer: generator has " + std::to_string(g_->classes()) + " classes, " +
                    discriminator_name(k) + " " + std::to_string(ds_[k]->classes()));
      check_loss(options_.loss, ds_[k]->output(), discriminator_name(k));
    }
    if (!options_.augment.empty()) augment_ = std::make_unique<DiffAugment<T>>(options_.augment);
    opt_g_ = std::make_unique<Adam<T>>(g_->parameters(), adam(options_.lr_g));
    for (auto* d : ds_)
      opt_d_.push_back(std::make_unique<Adam<T>>(d->parameters(), adam(options_.lr_d)));
    d_losses_.assign(ds_.size(), 0.0);
    g_losses_.assign(ds_.size(), 0.0);
    dxs_.assign(ds_.size(), nullptr);
    options_.hardening.validate(ds_.size());
    for (std::size_t k = 0; k < ds_.size(); ++k)
      hardening_.emplace_back(options_.hardening.of(k), attack_seed(k), options_.hardening.lo,
                              options_.hardening.hi);
  }

  struct SavedState {
    std::int64_t steps = 0, steps_g = 0, steps_ema = 0;
    std::vector<std::int64_t> steps_d;
    Rng rng, augment_rng;
    double lambda = 0;
    std::vector<Rng> attack_rngs;
  };

  static std::string optimizer_d_name(std::size_t k) {
    return k == 0 ? "optimizer_d" : "optimizer_d_" + std::to_string(k);
  }
  static std::string attack_rng_name(std::size_t k) {
    return "d_attack_" + std::to_string(k) + ".rng";
  }
  /// Discriminator k's noise: the trainer's seed mixed with k (a golden-ratio step), so
  /// that it is independent of G's noise and of the other discriminators'.
  std::uint64_t attack_seed(std::size_t k) const noexcept {
    return options_.seed ^ (0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(k) + 1));
  }
  std::string attacks_text() const {
    std::vector<Attack> each;
    for (const auto& h : hardening_) each.push_back(h.attack());
    return to_string(each);
  }

  SavedState parse(const std::map<std::string, std::string>& m) const {
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
        throw Error("Trainer: checkpoint metadata '" + key + "' is not a count: '" +
                    (v.size() > 40 ? v.substr(0, 40) + "..." : v) + "'");
      return static_cast<std::int64_t>(x);
    };
    // Checkpoints from before several discriminators existed have one and no such key.
    const std::int64_t k = m.count("discriminators") ? count("discriminators") : 1;
    if (k != static_cast<std::int64_t>(ds_.size()))
      throw Error("Trainer: the checkpoint has " + std::to_string(k) +
                  " discriminators, this trainer " + std::to_string(ds_.size()));
    SavedState s;
    s.steps = count("step");
    s.steps_g = count("optimizer_g.step");
    for (std::size_t i = 0; i < ds_.size(); ++i)
      s.steps_d.push_back(count(optimizer_d_name(i) + ".step"));
    s.rng.set_state(get("rng"));
    if (augment_) s.augment_rng.set_state(get("rng_augment"));
    if (ema_) s.steps_ema = count("ema.step");
    // Checkpoints from before aggregates and attacks existed trained with mean and none.
    const std::string aggregate = m.count("aggregate") ? get("aggregate") : "mean";
    if (aggregate != options_.aggregate.str())
      throw Error("Trainer: the checkpoint's aggregate is " + aggregate.substr(0, 40) +
                  ", this trainer's " + options_.aggregate.str());
    s.lambda = aggregate_.lambda();
    if (options_.aggregate.kind == AggregateKind::learned) {
      const std::string v = get("aggregate.lambda");
      char* end = nullptr;
      s.lambda = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || !(s.lambda >= 0 && std::isfinite(s.lambda)))
        throw Error("Trainer: checkpoint metadata 'aggregate.lambda' is not a lambda >= 0: '" +
                    v.substr(0, 40) + "'");
    }
    std::string attacks = m.count("d_attacks") ? get("d_attacks") : "";
    if (attacks.empty())
      for (std::size_t i = 0; i < ds_.size(); ++i) attacks += i ? ",none" : "none";
    if (attacks != attacks_text())
      throw Error("Trainer: the checkpoint's discriminator attacks are " + attacks.substr(0, 80) +
                  ", this trainer's " + attacks_text());
    for (std::size_t i = 0; i < ds_.size(); ++i) {
      s.attack_rngs.push_back(hardening_[i].rng());
      if (hardening_[i].active()) s.attack_rngs.back().set_state(get(attack_rng_name(i)));
    }
    return s;
  }

  AdamOptions adam(double lr) const {
    AdamOptions a;
    a.lr = lr;
    a.beta1 = options_.beta1;
    a.beta2 = options_.beta2;
    return a;
  }

  /// The network a guard names: a discriminator's index, or this for the generator. The
  /// name is built only when the guard trips, so a checked step allocates nothing.
  static constexpr int generator_index = -1;
  static std::string network_name(int k) {
    return k == generator_index ? "generator" : discriminator_name(static_cast<std::size_t>(k));
  }

  /// z_ for this process's n samples. Data-parallel: rows [first, first + n) of the whole
  /// global batch's noise, so that sample i's noise does not depend on the process.
  void draw_noise(index_t n) {
    if (!parallel_.enabled()) return g_->sample_noise(z_, n, rng_);
    g_->sample_noise(z_global_, parallel_.global_batch, rng_);
    const index_t dims = z_global_.dim(1);
    z_.resize({n, dims});
    std::copy_n(z_global_.data() + parallel_.first * dims, n * dims, z_.data());
  }

  /// The non-finite guard: one check of the reduced loss and one pass over the gradients
  /// (x * 0 summed, see simd::all_finite), about 1 % of a step. Data-parallel, the
  /// gradients and the loss are first summed over the processes, so that every process
  /// applies the same update and the guard trips on all of them together.
  void guard(double& loss, const std::vector<Parameter<T>>& params, int network) {
    if (parallel_.enabled()) parallel_.reduce_gradients(params, loss, share_weight_);
    if (!std::isfinite(loss)) throw NonFiniteError(steps_ + 1, network_name(network), "loss");
    for (const auto& p : params)
      if (!simd::all_finite(p.grad.size(), p.grad.data()))
        throw NonFiniteError(steps_ + 1, network_name(network), "gradient of '" + p.name + "'");
  }

  /// The scores themselves, after a check that they are finite (a loss on probabilities
  /// would refuse a NaN with a less helpful message).
  const Tensor<T>& finite(const Tensor<T>& scores, std::size_t k) const {
    if (!simd::all_finite(scores.size(), scores.data()))
      throw NonFiniteError(steps_ + 1, discriminator_name(k), "output");
    return scores;
  }

  /// x, or x augmented by a fresh draw (the augmentation keeps it for its backward).
  const Tensor<T>& augmented(const Tensor<T>& x) {
    return augment_ ? augment_->forward(x, augment_rng_) : x;
  }

  static double mean_probability(const Tensor<T>& scores, Output output) {
    double sum = 0;
    for (T v : scores)
      sum += output == Output::logits ? 1.0 / (1.0 + std::exp(-static_cast<double>(v)))
                                      : static_cast<double>(v);
    return sum / static_cast<double>(scores.size());
  }

  TrainerOptions options_;
  std::unique_ptr<AnyGenerator<T>> own_g_;  // views made of non-erased nets
  std::unique_ptr<AnyDiscriminator<T>> own_d_;
  AnyGenerator<T>* g_;
  std::vector<AnyDiscriminator<T>*> ds_;
  Rng rng_, augment_rng_;
  std::unique_ptr<DiffAugment<T>> augment_;
  std::unique_ptr<Ema<T>> ema_;
  AnyGenerator<T>* shadow_ = nullptr;
  std::unique_ptr<Adam<T>> opt_g_;
  std::vector<std::unique_ptr<Adam<T>>> opt_d_;
  std::vector<double> d_losses_, g_losses_;
  Aggregate aggregate_;
  std::vector<Hardening<T>> hardening_;
  std::vector<const Tensor<T>*> dxs_;  // each D's dL_G,k/dfake in the generator step
  std::int64_t steps_ = 0;
  Tensor<T> z_, grad_, mse_grad_, g_grad_;
  DataParallel<T> parallel_;
  double share_weight_ = 1.0;  // n_r / B
  std::vector<double> stats_;  // d_real, d_fake, g_losses_, averaged once per step
  Tensor<T> z_global_;
};

template <class G, class D>
Trainer(G&, D&, const TrainerOptions& = {}) -> Trainer<typename G::value_type>;

}  // namespace gan

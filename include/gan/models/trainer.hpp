#pragma once
/// Trainer<T>: the GAN training step (Goodfellow et al. 2014, Algorithm 1, with the
/// non-saturating generator loss of section 3) for one generator and K >= 1
/// discriminators, and the state a checkpoint needs.
///
/// step(real, labels) with real: [N, C, H, W] (and labels: [N] for conditional models):
///  1. d_steps times: z ~ N(0, I); fake = G(z, labels); for each discriminator k, one Adam
///     step on L_D,k = loss_real(D_k(real)) + loss_fake(D_k(fake)) (adversarial_loss.hpp).
///     Fakes reuse the real batch's labels; every discriminator sees the same fakes.
///  2. one Adam step of G on the last fake, with every D frozen:
///     L_G = sum_k w_k L_G,k + recon * MSE(fake, real),
///     w_k = 1 / K (the mean of GMAN, Durugkar et al. 2017). With K = 1 this is exactly
///     the single-discriminator step. recon > 0 pulls the fake made for sample i towards
///     real image i (pix2pix's L2 term, Isola et al. 2017), with any adversarial loss.
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
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/core/simd.hpp"
#include "gan/losses/losses.hpp"
#include "gan/models/adversarial_loss.hpp"
#include "gan/models/data_parallel.hpp"
#include "gan/models/network.hpp"
#include "gan/optim/adam.hpp"

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
  std::uint64_t seed = 0;        ///< seeds the noise

  void validate() const {
    auto fail = [](const std::string& what) { throw Error("Trainer: " + what); };
    if (!(lr_g > 0 && std::isfinite(lr_g)) || !(lr_d > 0 && std::isfinite(lr_d)))
      fail("learning rates must be finite and > 0");
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) fail("betas must be in [0, 1)");
    if (d_steps < 1) fail("d_steps must be >= 1, got " + std::to_string(d_steps));
    if (!(label_smoothing >= 0 && label_smoothing < 1)) fail("label_smoothing must be in [0, 1)");
    if (!(recon >= 0 && std::isfinite(recon))) fail("recon must be finite and >= 0");
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
  template <class G, class D>
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
        const Tensor<T>& on_real = d.forward(real, labels);
        const double d_real = mean_probability(on_real, d.output());
        double loss = discriminator_loss(options_.loss, d.output(), on_real, true,
                                         options_.label_smoothing, grad_);
        d.backward(grad_);
        const Tensor<T>& on_fake = d.forward(*fake, labels);
        const double d_fake = mean_probability(on_fake, d.output());
        loss += discriminator_loss(options_.loss, d.output(), on_fake, false, 0.0, grad_);
        d.backward(grad_);
        guard(loss, opt_d_[k]->parameters(), discriminator_name(k));
        opt_d_[k]->step();
        d_losses_[k] = loss;
        s.d_loss += loss / k_count;
        s.d_real += d_real / k_count;
        s.d_fake += d_fake / k_count;
      }
    }

    g_->zero_grad();
    double g_loss = 0;
    for (std::size_t k = 0; k < ds_.size(); ++k) {
      AnyDiscriminator<T>& d = *ds_[k];
      d.set_requires_grad(false);
      const double loss_k =
          generator_loss(options_.loss, d.output(), d.forward(*fake, labels), grad_);
      const Tensor<T>& dx = d.backward(grad_);
      d.set_requires_grad(true);
      g_losses_[k] = loss_k;
      if (ds_.size() == 1) {
        g_loss = loss_k;
        g_grad_ = dx;
      } else {
        // GMAN's mean: L_G = (1/K) sum_k L_G,k, so dL_G/dfake = (1/K) sum_k dL_G,k/dfake.
        const T w = T(1) / T(ds_.size());
        if (k == 0) {
          g_grad_.resize(dx.shape());
          g_grad_.zero();
        }
        simd::axpy(g_grad_.size(), w, dx.data(), g_grad_.data());
        g_loss += loss_k / k_count;
      }
    }
    if (options_.recon > 0) {
      g_loss += options_.recon * mse_loss(*fake, real, mse_grad_);
      simd::axpy(g_grad_.size(), T(options_.recon), mse_grad_.data(), g_grad_.data());
    }
    g_->backward(g_grad_);
    guard(g_loss, opt_g_->parameters(), "generator");
    opt_g_->step();
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

  /// Makes this trainer one process of a data-parallel job (data_parallel.hpp); a
  /// default DataParallel makes it train alone again. Throws gan::Error for a bad share.
  void set_data_parallel(DataParallel<T> parallel) {
    parallel.validate();
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
    for (std::size_t k = 0; k < ds_.size(); ++k) {
      add(discriminator_name(k) + ".", ds_[k]->parameters());
      add(discriminator_name(k) + ".", ds_[k]->buffers());
    }
    add("optimizer_g.", opt_g_->state());
    for (std::size_t k = 0; k < ds_.size(); ++k) add(optimizer_d_name(k) + ".", opt_d_[k]->state());
    return out;
  }

  /// The scalar state: step counts, the noise generator and the number of discriminators.
  std::map<std::string, std::string> state_metadata() const {
    std::map<std::string, std::string> m = {{"step", std::to_string(steps_)},
                                            {"optimizer_g.step", std::to_string(opt_g_->steps())},
                                            {"discriminators", std::to_string(ds_.size())},
                                            {"rng", rng_.state()}};
    for (std::size_t k = 0; k < ds_.size(); ++k)
      m[optimizer_d_name(k) + ".step"] = std::to_string(opt_d_[k]->steps());
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
        rng_(options.seed) {
    if (ds_.empty()) throw Error("Trainer: needs at least one discriminator");
    for (std::size_t k = 0; k < ds_.size(); ++k) {
      if (ds_[k] == nullptr)
        throw Error("Trainer: discriminator " + std::to_string(k) + " is null");
      if (ds_[k]->classes() != g_->classes())
        throw Error("Trainer: generator has " + std::to_string(g_->classes()) + " classes, " +
                    discriminator_name(k) + " " + std::to_string(ds_[k]->classes()));
    }
    opt_g_ = std::make_unique<Adam<T>>(g_->parameters(), adam(options_.lr_g));
    for (auto* d : ds_)
      opt_d_.push_back(std::make_unique<Adam<T>>(d->parameters(), adam(options_.lr_d)));
    d_losses_.assign(ds_.size(), 0.0);
    g_losses_.assign(ds_.size(), 0.0);
  }

  struct SavedState {
    std::int64_t steps = 0, steps_g = 0;
    std::vector<std::int64_t> steps_d;
    Rng rng;
  };

  static std::string optimizer_d_name(std::size_t k) {
    return k == 0 ? "optimizer_d" : "optimizer_d_" + std::to_string(k);
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
                    v.substr(0, 40) + "'");
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
    return s;
  }

  AdamOptions adam(double lr) const {
    AdamOptions a;
    a.lr = lr;
    a.beta1 = options_.beta1;
    a.beta2 = options_.beta2;
    return a;
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
  void guard(double& loss, const std::vector<Parameter<T>>& params, const std::string& network) {
    if (parallel_.enabled()) parallel_.reduce_gradients(params, loss, share_weight_);
    if (!std::isfinite(loss)) throw NonFiniteError(steps_ + 1, network, "loss");
    for (const auto& p : params)
      if (!simd::all_finite(p.grad.size(), p.grad.data()))
        throw NonFiniteError(steps_ + 1, network, "gradient of '" + p.name + "'");
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
  Rng rng_;
  std::unique_ptr<Adam<T>> opt_g_;
  std::vector<std::unique_ptr<Adam<T>>> opt_d_;
  std::vector<double> d_losses_, g_losses_;
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

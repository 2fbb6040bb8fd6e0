#pragma once
/// Ema<T>: an exponential moving average of a generator's weights, kept in a second network of
/// the same architecture that is used only for sampling (Karras et al. 2018, "Progressive
/// Growing of GANs": decay 0.999; Yazici et al. 2019, "The Unusual Effectiveness
/// of Averaging in GAN Training"). After each generator step, update() does, element-wise,
///   target = decay_t * target + (1 - decay_t) * source      for every parameter
///   target = source                                         for every buffer
/// Buffers (BatchNorm2d's running statistics, SpectralNorm's u and v) are copied, not
/// averaged: they are estimates of the current network, not weights.
///
/// decay_t is `decay`, or with warm-up the num_updates rule of TensorFlow's
/// tf.train.ExponentialMovingAverage:
///   decay_t = min(decay, (1 + t) / (10 + t)),  t = updates made before this one
/// (0.1, 0.18, 0.25, ... reaching 0.999 after about 9000 updates), so an early average is not
/// dominated by the random initial weights.
///
/// Construction pairs the source's and the target's parameters() and buffers() by position and
/// checks that names and shapes agree and that no target is a source tensor (gan::Error
/// otherwise). Both networks must outlive the Ema and keep their sizes. copy() sets the
/// target to the source (the usual start). update() and copy() allocate nothing; every
/// element gets the same operations in fixed blocks of `block` elements (a multiple of every
/// SIMD width), so results do not depend on the thread count. steps() / set_steps() carry t
/// for checkpoints.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/core/simd.hpp"
#include "gan/core/tensor.hpp"
#include "gan/layers/layer.hpp"
#include "gan/optim/check.hpp"

namespace gan {

struct EmaOptions {
  double decay = 0.999;
  bool warmup = false;  ///< decay_t = min(decay, (1 + t) / (10 + t))
};

template <class T>
class Ema {
 public:
  using value_type = T;

  /// Elements per task in update(): a fixed split, so the thread count changes nothing.
  static constexpr index_t block = 4096;

  Ema(std::vector<Parameter<T>> source, std::vector<Buffer<T>> source_buffers,
      std::vector<Parameter<T>> target, std::vector<Buffer<T>> target_buffers,
      const EmaOptions& options = {})
      : options_(options) {
    detail::check_option(options.decay >= 0 && options.decay <= 1, "Ema", "decay", options.decay,
                         "0 <= decay <= 1");
    pair("parameter", source, target, params_);
    pair("buffer", source_buffers, target_buffers, buffers_);
  }

  /// One averaging step (formula above), then t = t + 1.
  void update() noexcept {
    const T d = static_cast<T>(current_decay());
    const T one_minus_d = static_cast<T>(1 - current_decay());
    for (const Pair& p : params_) {
      const index_t blocks = (p.size + block - 1) / block;
      parallel_for(0, blocks, [&](index_t b) {
        const index_t lo = b * block, n = std::min(block, p.size - lo);
        simd::transform(n, p.target + lo, p.source + lo, p.target + lo,
                        [d, one_minus_d](auto t, auto s) {
                          return t * simd::splat(t, d) + s * simd::splat(s, one_minus_d);
                        });
      });
    }
    copy_buffers();
    ++steps_;
  }

  /// target = source, parameters and buffers (t is left as it is).
  void copy() noexcept {
    for (const Pair& p : params_) std::copy(p.source, p.source + p.size, p.target);
    copy_buffers();
  }

  /// decay_t of the next update().
  double current_decay() const noexcept {
    if (!options_.warmup) return options_.decay;
    const double t = static_cast<double>(steps_);
    return std::min(options_.decay, (1 + t) / (10 + t));
  }

  /// Updates made so far (t).
  std::int64_t steps() const noexcept { return steps_; }
  /// Sets t, for resuming from a checkpoint; throws gan::Error if n < 0.
  void set_steps(std::int64_t n) {
    detail::check_option(n >= 0, "Ema", "step count", static_cast<double>(n), ">= 0");
    steps_ = n;
  }

  const EmaOptions& options() const noexcept { return options_; }

 private:
  struct Pair {
    const T* source;
    T* target;
    index_t size;
  };

  // Pairs source[i] with target[i]; throws on any mismatch, naming the first.
  template <class Entry>
  static void pair(const char* kind, std::vector<Entry>& source, std::vector<Entry>& target,
                   std::vector<Pair>& out) {
    if (source.size() != target.size())
      throw Error(std::string("Ema: the source has ") + std::to_string(source.size()) + " " + kind +
                  "s, the target " + std::to_string(target.size()) +
                  " (the networks must have the same architecture)");
    for (std::size_t i = 0; i < source.size(); ++i) {
      const Tensor<T>& s = source[i].value;
      Tensor<T>& t = target[i].value;
      if (source[i].name != target[i].name || s.shape() != t.shape())
        throw Error(std::string("Ema: source ") + kind + " " + std::to_string(i) + " '" +
                    source[i].name + "' " + s.shape().str() + " does not match target '" +
                    target[i].name + "' " + t.shape().str());
      if (&s == &t || (s.size() > 0 && s.data() == t.data()))
        throw Error(std::string("Ema: ") + kind + " '" + source[i].name +
                    "' is the same tensor in source and target (give the average a network "
                    "of its own)");
      out.push_back({s.data(), t.data(), s.size()});
    }
  }

  void copy_buffers() noexcept {
    for (const Pair& b : buffers_) std::copy(b.source, b.source + b.size, b.target);
  }

  EmaOptions options_;
  std::vector<Pair> params_, buffers_;
  std::int64_t steps_ = 0;
};

/// Ema over two networks of the same architecture: make_ema(g, g_ema, {0.999, true}).
template <class Net>
Ema<typename Net::value_type> make_ema(Net& source, Net& target, const EmaOptions& options = {}) {
  return Ema<typename Net::value_type>(source.parameters(), source.buffers(), target.parameters(),
                                       target.buffers(), options);
}

}  // namespace gan

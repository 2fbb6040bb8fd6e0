#pragma once
/// Stochastic gradient descent with momentum, exactly as PyTorch 1.13's torch.optim.SGD
/// (maximize=False). For every parameter p with gradient g (element-wise):
///   d   = g + weight_decay * p               (L2; skipped when weight_decay = 0)
///   buf = d                                  on the first step (PyTorch clones d), else
///   buf = momentum * buf + (1 - dampening) * d
///   d   = d + momentum * buf  if nesterov (Sutskever et al. 2013), else d = buf
///   p   = p + (-lr) * d
/// With momentum = 0 there is no buffer and p = p + (-lr) * d. Scalars are rounded to T
/// once and the tensor operations follow PyTorch's order, so float results agree with
/// PyTorch's to rounding.
///
/// Ownership: the optimiser holds Parameter<T> references to tensors owned by layers,
/// which must outlive it, and owns one momentum buffer per parameter when momentum != 0,
/// allocated in the constructor; step() allocates nothing. step() leaves the gradients as
/// they are; zero_grad() zeroes them.
///
/// Checkpoints: state() names the buffers "<param name>.momentum_buffer" (PyTorch's key;
/// empty when momentum = 0), and steps() / set_steps() carry the step count, which also
/// says whether the buffers hold anything yet (steps() == 0: the next step starts them).
///
/// Element-wise work runs through simd::transform; a parameter of at least
/// parallel_threshold elements is split into contiguous chunks with parallel_for_chunks,
/// which does not change any result.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/core/parameter.hpp"
#include "gan/core/simd.hpp"
#include "gan/core/tensor.hpp"
#include "gan/optim/check.hpp"

namespace gan {

/// torch.optim.SGD's options; lr has no default there, 1e-2 is a common start.
struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

template <class T>
class SGD {
 public:
  using value_type = T;

  /// Parameters with at least this many elements are updated by several threads.
  static constexpr index_t parallel_threshold = index_t(1) << 15;

  /// Throws gan::Error for an invalid option (PyTorch's ranges; nesterov needs
  /// momentum > 0 and dampening = 0) or a parameter whose grad has another shape.
  explicit SGD(std::vector<Parameter<T>> params, const SGDOptions& options = {})
      : params_(std::move(params)), options_(options) {
    validate(options_);
    detail::check_parameters("SGD", params_);
    if (options_.momentum != 0) {
      momentum_buffer_.reserve(params_.size());
      for (const auto& p : params_) momentum_buffer_.emplace_back(p.value.shape());
    }
  }

  /// One update of every parameter from its current gradient.
  void step() {
    const bool momentum = options_.momentum != 0;
    for (std::size_t i = 0; i < params_.size(); ++i)
      detail::check_state_size("SGD", params_[i],
                               momentum ? momentum_buffer_[i] : params_[i].value);
    const Scalars s{T(-options_.lr),
                    T(options_.weight_decay),
                    T(options_.momentum),
                    T(1 - options_.dampening),
                    momentum,
                    steps_ == 0,
                    options_.nesterov};
    for (std::size_t i = 0; i < params_.size(); ++i) {
      Views v{params_[i].value.data(), params_[i].grad.data(),
              momentum ? momentum_buffer_[i].data() : nullptr};
      const index_t n = params_[i].value.size();
      if (n >= parallel_threshold)
        parallel_for_chunks(0, n, [&](index_t lo, index_t hi) { update(v, s, lo, hi); });
      else
        update(v, s, 0, n);
    }
    ++steps_;
  }

  /// Zeroes every parameter's gradient.
  void zero_grad() noexcept {
    for (auto& p : params_) p.grad.zero();
  }

  std::int64_t steps() const noexcept { return steps_; }
  /// Sets the step count, for resuming from a checkpoint; throws gan::Error if n < 0.
  void set_steps(std::int64_t n) {
    detail::check_option(n >= 0, "SGD", "step count", static_cast<double>(n), ">= 0");
    steps_ = n;
  }

  const SGDOptions& options() const noexcept { return options_; }
  /// Changes the learning rate (a schedule); throws gan::Error if lr < 0.
  void set_lr(double lr) {
    detail::check_option(lr >= 0, "SGD", "lr", lr, ">= 0");
    options_.lr = lr;
  }

  /// The momentum buffers, "<param name>.momentum_buffer", in parameter order (none when
  /// momentum = 0); the tensors are the optimiser's own (writable, to restore them).
  std::vector<Buffer<T>> state() {
    std::vector<Buffer<T>> out;
    out.reserve(momentum_buffer_.size());
    for (std::size_t i = 0; i < momentum_buffer_.size(); ++i)
      out.push_back({params_[i].name + ".momentum_buffer", momentum_buffer_[i]});
    return out;
  }

  const std::vector<Parameter<T>>& parameters() const noexcept { return params_; }

 private:
  struct Scalars {
    T neg_lr, weight_decay, momentum, one_minus_dampening;
    bool use_momentum, first_step, nesterov;
  };
  struct Views {
    T* value;
    const T* grad;
    T* buffer;
  };

  static void validate(const SGDOptions& o) {
    detail::check_option(o.lr >= 0, "SGD", "lr", o.lr, ">= 0");
    detail::check_option(o.momentum >= 0, "SGD", "momentum", o.momentum, ">= 0");
    detail::check_option(o.weight_decay >= 0, "SGD", "weight_decay", o.weight_decay, ">= 0");
    if (o.nesterov) {
      detail::check_option(o.momentum > 0, "SGD", "momentum", o.momentum, "> 0 with nesterov");
      detail::check_option(o.dampening == 0, "SGD", "dampening", o.dampening, "0 with nesterov");
    }
  }

  /// Elements [lo, hi) of one parameter: the buffer pass, then the parameter pass.
  static void update(const Views& v, const Scalars& s, index_t lo, index_t hi) noexcept {
    const index_t n = hi - lo;
    T* p = v.value + lo;
    const T* g = v.grad + lo;
    // d = g + weight_decay * p, or g itself (PyTorch skips the add when weight_decay = 0).
    auto decayed = [&s](auto gv, auto pv) {
      return s.weight_decay != T(0) ? gv + simd::splat(gv, s.weight_decay) * pv : gv;
    };
    if (!s.use_momentum) {
      simd::transform(n, p, g, p, [&s, &decayed](auto pv, auto gv) {
        return pv + simd::splat(pv, s.neg_lr) * decayed(gv, pv);
      });
      return;
    }
    T* buf = v.buffer + lo;
    simd::transform(n, buf, g, p, buf, [&s, &decayed](auto bv, auto gv, auto pv) {
      const auto d = decayed(gv, pv);
      return s.first_step
                 ? d
                 : bv * simd::splat(bv, s.momentum) + simd::splat(bv, s.one_minus_dampening) * d;
    });
    simd::transform(n, p, g, buf, p, [&s, &decayed](auto pv, auto gv, auto bv) {
      const auto d = s.nesterov ? decayed(gv, pv) + simd::splat(gv, s.momentum) * bv : bv;
      return pv + simd::splat(pv, s.neg_lr) * d;
    });
  }

  std::vector<Parameter<T>> params_;
  std::vector<Tensor<T>> momentum_buffer_;
  SGDOptions options_;
  std::int64_t steps_ = 0;
};

}  // namespace gan

#pragma once
/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1),
/// exactly as PyTorch 1.13's torch.optim.Adam (amsgrad=False, maximize=False). At step t,
/// for every parameter p with gradient g (element-wise):
///   g  = g + weight_decay * p                  (L2 on the gradient, as torch.optim.Adam;
///                                               not AdamW; skipped when weight_decay = 0)
///   m  = beta1 * m + (1 - beta1) * g           exp_avg
///   v  = beta2 * v + ((1 - beta2) * g) * g     exp_avg_sq
///   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
///   p  = p + (-(lr / (1 - beta1^t)) * m) / denom
/// The scalars 1 - beta^t, lr / (1 - beta1^t) and sqrt(1 - beta2^t) are computed in
/// double and rounded to T, and the tensor operations are done in T in the order above:
/// the order of PyTorch's mul_/add_/addcmul_/sqrt/div/add_/addcdiv_, so float results
/// agree with PyTorch's to rounding (its AVX2 kernels may fuse a multiply-add where we
/// round twice). eps is added to the bias-corrected sqrt(v), as in PyTorch and in
/// Algorithm 1 (sqrt(v-hat) + eps).
///
/// Ownership: the optimiser holds Parameter<T> references to tensors owned by layers,
/// which must outlive it, and owns the moments, one exp_avg and one exp_avg_sq per
/// parameter, allocated (zero) in the constructor; step() allocates nothing. Parameters
/// must keep their sizes. step() reads the gradients and leaves them as they are;
/// zero_grad() zeroes them (PyTorch 1.13's zero_grad(set_to_none=False)).
///
/// Checkpoints: state() names the moments "<param name>.exp_avg" and
/// "<param name>.exp_avg_sq" (references: write into them to restore), and steps() /
/// set_steps() carry t. Restoring both into a fresh optimiser over the same parameters
/// continues the run exactly.
///
/// Element-wise work runs through simd::transform; a parameter of at least
/// parallel_threshold elements is split into contiguous chunks with parallel_for_chunks.
/// Every element is updated by the same operations, so results do not depend on the
/// thread count.

#include <cmath>
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

/// torch.optim.Adam's defaults.
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

template <class T>
class Adam {
 public:
  using value_type = T;

  /// Parameters with at least this many elements are updated by several threads.
  static constexpr index_t parallel_threshold = index_t(1) << 15;

  /// Throws gan::Error for an invalid option (PyTorch's ranges) or a parameter whose
  /// grad has another shape than its value.
  explicit Adam(std::vector<Parameter<T>> params, const AdamOptions& options = {})
      : params_(std::move(params)), options_(options) {
    validate(options_);
    detail::check_parameters("Adam", params_);
    exp_avg_.reserve(params_.size());
    exp_avg_sq_.reserve(params_.size());
    for (const auto& p : params_) {
      exp_avg_.emplace_back(p.value.shape());
      exp_avg_sq_.emplace_back(p.value.shape());
    }
  }

  /// One update of every parameter from its current gradient.
  void step() {
    for (std::size_t i = 0; i < params_.size(); ++i)
      detail::check_state_size("Adam", params_[i], exp_avg_[i]);
    ++steps_;
    const auto t = static_cast<double>(steps_);
    const double bias_correction1 = 1 - std::pow(options_.beta1, t);
    const double bias_correction2 = 1 - std::pow(options_.beta2, t);
    const Scalars s{T(options_.beta1),
                    T(1 - options_.beta1),
                    T(options_.beta2),
                    T(1 - options_.beta2),
                    T(options_.weight_decay),
                    T(-(options_.lr / bias_correction1)),
                    T(std::sqrt(bias_correction2)),
                    T(options_.eps)};
    for (std::size_t i = 0; i < params_.size(); ++i) {
      Views v{params_[i].value.data(), params_[i].grad.data(), exp_avg_[i].data(),
              exp_avg_sq_[i].data()};
      const index_t n = params_[i].value.size();
      if (n >= parallel_threshold)
        parallel_for_chunks(0, n, [&](index_t lo, index_t hi) { update(v, s, lo, hi); });
      else
        update(v, s, 0, n);
    }
  }

  /// Zeroes every parameter's gradient.
  void zero_grad() noexcept {
    for (auto& p : params_) p.grad.zero();
  }

  /// Steps taken so far (t of the last step).
  std::int64_t steps() const noexcept { return steps_; }
  /// Sets t, for resuming from a checkpoint; throws gan::Error if n < 0.
  void set_steps(std::int64_t n) {
    detail::check_option(n >= 0, "Adam", "step count", static_cast<double>(n), ">= 0");
    steps_ = n;
  }

  const AdamOptions& options() const noexcept { return options_; }
  /// Changes the learning rate (a schedule); throws gan::Error if lr < 0.
  void set_lr(double lr) {
    detail::check_option(lr >= 0, "Adam", "lr", lr, ">= 0");
    options_.lr = lr;
  }

  /// The moments, named "<param name>.exp_avg" and "<param name>.exp_avg_sq", in
  /// parameter order; the tensors are the optimiser's own (writable, to restore them).
  std::vector<Buffer<T>> state() {
    std::vector<Buffer<T>> out;
    out.reserve(2 * params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i) {
      out.push_back({params_[i].name + ".exp_avg", exp_avg_[i]});
      out.push_back({params_[i].name + ".exp_avg_sq", exp_avg_sq_[i]});
    }
    return out;
  }

  const std::vector<Parameter<T>>& parameters() const noexcept { return params_; }

 private:
  struct Scalars {
    T beta1, one_minus_beta1, beta2, one_minus_beta2, weight_decay, neg_step_size,
        bias_correction2_sqrt, eps;
  };
  struct Views {
    T* value;
    const T* grad;
    T* exp_avg;
    T* exp_avg_sq;
  };

  static void validate(const AdamOptions& o) {
    detail::check_option(o.lr >= 0, "Adam", "lr", o.lr, ">= 0");
    detail::check_option(o.eps >= 0, "Adam", "eps", o.eps, ">= 0");
    detail::check_option(o.beta1 >= 0 && o.beta1 < 1, "Adam", "beta1", o.beta1, "0 <= beta1 < 1");
    detail::check_option(o.beta2 >= 0 && o.beta2 < 1, "Adam", "beta2", o.beta2, "0 <= beta2 < 1");
    detail::check_option(o.weight_decay >= 0, "Adam", "weight_decay", o.weight_decay, ">= 0");
  }

  /// Elements [lo, hi) of one parameter: three passes (moments, then the parameter),
  /// because simd::transform writes one output array.
  static void update(const Views& v, const Scalars& s, index_t lo, index_t hi) noexcept {
    const index_t n = hi - lo;
    T* p = v.value + lo;
    const T* g = v.grad + lo;
    T* m = v.exp_avg + lo;
    T* sq = v.exp_avg_sq + lo;
    if (s.weight_decay != T(0)) {
      simd::transform(n, m, g, p, m, [&s](auto mv, auto gv, auto pv) {
        const auto ge = gv + simd::splat(gv, s.weight_decay) * pv;
        return mv * simd::splat(mv, s.beta1) + simd::splat(mv, s.one_minus_beta1) * ge;
      });
      simd::transform(n, sq, g, p, sq, [&s](auto vv, auto gv, auto pv) {
        const auto ge = gv + simd::splat(gv, s.weight_decay) * pv;
        return vv * simd::splat(vv, s.beta2) + simd::splat(vv, s.one_minus_beta2) * ge * ge;
      });
    } else {
      simd::transform(n, m, g, m, [&s](auto mv, auto gv) {
        return mv * simd::splat(mv, s.beta1) + simd::splat(mv, s.one_minus_beta1) * gv;
      });
      simd::transform(n, sq, g, sq, [&s](auto vv, auto gv) {
        return vv * simd::splat(vv, s.beta2) + simd::splat(vv, s.one_minus_beta2) * gv * gv;
      });
    }
    simd::transform(n, p, m, sq, p, [&s](auto pv, auto mv, auto vv) {
      const auto denom =
          simd::sqrt(vv) / simd::splat(vv, s.bias_correction2_sqrt) + simd::splat(vv, s.eps);
      return pv + simd::splat(pv, s.neg_step_size) * mv / denom;
    });
  }

  std::vector<Parameter<T>> params_;
  std::vector<Tensor<T>> exp_avg_, exp_avg_sq_;
  AdamOptions options_;
  std::int64_t steps_ = 0;
};

}  // namespace gan

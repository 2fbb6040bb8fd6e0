#pragma once
/// SpectralNorm<L>: a Dense, Conv2d or ConvTranspose2d whose weight is divided by its
/// largest singular value (Miyato et al. 2018, "Spectral Normalization for Generative
/// Adversarial Networks", section 2.1 and Algorithm 1), as PyTorch 1.13's
/// torch.nn.utils.spectral_norm(layer) with n_power_iterations = 1, eps = 1e-12.
///
///   x, y: the wrapped layer's shapes (SpectralNorm(Conv2d(1->64, ..)) maps [N, 1, H, W] as
///   the Conv2d does). W is the weight as a matrix [rows, cols]: for Dense [out, in] and
///   Conv2d [out, in, k, k] (dim = 0) rows = out; for ConvTranspose2d [in, out, k, k] (dim = 1,
///   PyTorch's choice for transposed convolutions) rows = out, after moving dim 1 first
///   (gan/kernels/spectral_norm.hpp reads that matrix in place).
///   parameters: "weight_orig" (W, trained) and the wrapped layer's "bias"
///   buffers:    "weight_u" [rows], "weight_v" [cols], the power iteration's vectors
///   Inside Sequential the keys are PyTorch's state_dict keys: "0.weight_orig", "0.bias",
///   "0.weight_u", "0.weight_v" (PyTorch lists bias before weight_orig; names, not order,
///   are what a checkpoint matches).
///
/// forward(x), in training mode: one power iteration on W_orig,
///   v = normalize(W^T u),  u = normalize(W v),     normalize(a) = a / max(||a||, 1e-12)
/// which updates the buffers; in eval mode none. Then sigma = u^T W v and the wrapped layer
/// runs with W_sn = W / sigma. u and v start as normalised N(0, 1) draws (u first), from the
/// given gan::Rng or gan::default_rng(), as PyTorch's SpectralNorm.apply.
///
/// backward(dy): the wrapped layer's backward with W_sn gives dx and G = dL/dW_sn; then
///   dL/dW_orig += (G - <G, W_sn> u v^T) / sigma.
/// Derivation, with u and v treated as constants as PyTorch does (it clones them out of the
/// autograd graph after the iteration): W_sn = W / sigma(W) and sigma = u^T W v, so
/// d sigma / dW = u v^T, and
///   dL/dW = G / sigma + (dL/dsigma) u v^T,
///   dL/dsigma = sum_ij G_ij * d(W_ij / sigma)/dsigma = -<G, W> / sigma^2 = -<G, W_sn> / sigma,
/// hence dL/dW = (G - <G, W_sn> u v^T) / sigma. In eval mode (u, v fixed) this is the exact
/// gradient of forward; in training mode it ignores d(u, v)/dW, as PyTorch and the paper do.
/// The bias gradient is the wrapped layer's. Gradients are ADDED; a frozen layer
/// (set_requires_grad(false)) returns dx and leaves every gradient alone.
///
/// Ownership: the wrapped layer keeps a pointer to x until backward, as it does alone. Buffers
/// are sized at construction: forward and backward allocate nothing beyond the wrapped layer.
/// Copies and moves re-point the layer at its own copy of the wrapped layer's weight.
/// Another layer type can be wrapped by specialising SpectralNormDim<L> (0 or 1).

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"
#include "gan/kernels/spectral_norm.hpp"
#include "gan/layers/conv2d.hpp"
#include "gan/layers/conv_transpose2d.hpp"
#include "gan/layers/dense.hpp"
#include "gan/layers/init.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

/// The weight dimension that becomes the rows of W: PyTorch's `dim` default.
template <class L>
struct SpectralNormDim;
template <class T>
struct SpectralNormDim<Dense<T>> : std::integral_constant<int, 0> {};
template <class T>
struct SpectralNormDim<Conv2d<T>> : std::integral_constant<int, 0> {};
template <class T>
struct SpectralNormDim<ConvTranspose2d<T>> : std::integral_constant<int, 1> {};

template <class L>
class SpectralNorm : public LayerBase<typename L::value_type> {
  static_assert(is_layer_v<L>, "gan::SpectralNorm wraps a layer (see gan/layers/layer.hpp)");

 public:
  using T = typename L::value_type;

  /// PyTorch's eps of the power iteration's normalisation.
  static constexpr double eps = 1e-12;
  /// Memory flags (layer.hpp): the wrapped layer's, whose y and dx are returned as they are.
  static constexpr bool overwritable_output = overwritable_output_v<L>;
  static constexpr bool overwritable_input_grad = overwritable_input_grad_v<L>;

  /// Wraps `layer`; its current weight becomes weight_orig. u, v from gan::default_rng().
  explicit SpectralNorm(L layer) : SpectralNorm(std::move(layer), default_rng()) {}

  /// The same with u, v drawn from rng.
  SpectralNorm(L layer, Rng& rng) : layer_(std::move(layer)) {
    bind();
    const Shape& s = w_->shape();
    if (s.rank() < 2) throw Error(name() + ": needs a weight of rank >= 2, got " + s.str());
    if (dim == 0)
      geo_ = {1, s[0], s.numel() / s[0]};
    else
      geo_ = {s[0], s[1], s.numel() / (s[0] * s[1])};
    st_.weight_orig = *w_;
    st_.weight_orig_grad.resize(s);
    st_.u.resize({geo_.rows});
    st_.v.resize({geo_.cols()});
    st_.wv.resize({geo_.rows});
    for (Tensor<T>* t : {&st_.u, &st_.v}) {
      rng.fill_normal(*t);
      kernels::spectral_norm_normalize(t->size(), t->data(), T(eps));
    }
  }

  SpectralNorm(const SpectralNorm& o)
      : LayerBase<T>(o), layer_(o.layer_), geo_(o.geo_), st_(o.st_) {
    bind();
  }
  SpectralNorm(SpectralNorm&& o)
      : LayerBase<T>(o), layer_(std::move(o.layer_)), geo_(o.geo_), st_(std::move(o.st_)) {
    bind();
  }
  SpectralNorm& operator=(const SpectralNorm& o) {
    if (this != &o) {
      LayerBase<T>::operator=(o);
      layer_ = o.layer_;
      geo_ = o.geo_;
      st_ = o.st_;
      bind();
    }
    return *this;
  }
  SpectralNorm& operator=(SpectralNorm&& o) {
    if (this != &o) {
      LayerBase<T>::operator=(o);
      layer_ = std::move(o.layer_);
      geo_ = o.geo_;
      st_ = std::move(o.st_);
      bind();
    }
    return *this;
  }
  ~SpectralNorm() = default;

  Shape output_shape(const Shape& in) const { return layer_.output_shape(in); }

  /// y = layer(x) with W_sn = W_orig / sigma; in training mode one power iteration first.
  const Tensor<T>& forward(const Tensor<T>& x) {
    layer_.output_shape(x.shape());  // a bad shape throws before u, v change
    const T* w = st_.weight_orig.data();
    if (this->training_) {
      kernels::spectral_norm_wtu(geo_, w, st_.u.data(), st_.v.data());
      kernels::spectral_norm_normalize(geo_.cols(), st_.v.data(), T(eps));
    }
    kernels::spectral_norm_wv(geo_, w, st_.v.data(), st_.wv.data());
    if (this->training_) {
      st_.u.copy_from(st_.wv);
      kernels::spectral_norm_normalize(geo_.rows, st_.u.data(), T(eps));
    }
    st_.sigma = kernels::spectral_norm_dot(geo_.rows, st_.u.data(), st_.wv.data());
    if (!std::isfinite(st_.sigma) || st_.sigma == T(0))
      throw Error(name() + ": sigma = u^T W v is " + std::to_string(st_.sigma) +
                  " (an all-zero or non-finite weight)");
    kernels::spectral_norm_scale(geo_.size(), w, st_.sigma, w_->data());
    st_.forwarded = true;
    return layer_.forward(x);
  }

  /// dL/dx through the wrapped layer; adds dL/dW_orig (formula above) and dL/dbias.
  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (!st_.forwarded) throw Error(name() + ": backward called before forward");
    const bool grads = this->requires_grad();
    if (grads) w_grad_->zero();  // the wrapped layer's weight grad holds G of this call only
    const Tensor<T>& dx = layer_.backward(dy);
    if (grads)
      kernels::spectral_norm_backward(geo_, w_grad_->data(), w_->data(), st_.u.data(), st_.v.data(),
                                      st_.sigma, st_.weight_orig_grad.data());
    return dx;
  }

  std::vector<Parameter<T>> parameters() {
    std::vector<Parameter<T>> out{{"weight_orig", st_.weight_orig, st_.weight_orig_grad}};
    for (auto& p : layer_.parameters())
      if (p.name != "weight") out.push_back(p);
    return out;
  }
  std::vector<Buffer<T>> buffers() {
    std::vector<Buffer<T>> out = layer_.buffers();
    out.push_back({"weight_u", st_.u});
    out.push_back({"weight_v", st_.v});
    return out;
  }

  void zero_grad() noexcept {
    st_.weight_orig_grad.zero();
    layer_.zero_grad();
  }
  void train(bool on = true) noexcept {
    this->training_ = on;
    layer_.train(on);
  }
  void eval() noexcept { train(false); }
  void set_requires_grad(bool on) noexcept {
    this->requires_grad_ = on;
    layer_.set_requires_grad(on);
  }

  std::string name() const { return "SpectralNorm(" + layer_.name() + ")"; }

  /// The weight dimension that forms W's rows (0, or 1 for ConvTranspose2d).
  static constexpr int dim = SpectralNormDim<L>::value;

  /// The wrapped layer, whose "weight" holds W_sn of the last forward.
  const L& layer() const noexcept { return layer_; }
  /// W_sn = W_orig / sigma of the last forward (W_orig itself before the first).
  const Tensor<T>& weight() const noexcept { return *w_; }
  /// sigma = u^T W v of the last forward (0 before the first).
  T sigma() const noexcept { return st_.sigma; }
  /// W's sizes: rows = geometry().rows, cols = geometry().cols().
  const kernels::SpectralGeometry& geometry() const noexcept { return geo_; }

 private:
  // Points w_, w_grad_ at the wrapped layer's own "weight" and its gradient.
  void bind() {
    w_ = w_grad_ = nullptr;
    for (auto& p : layer_.parameters())
      if (p.name == "weight") {
        w_ = &p.value;
        w_grad_ = &p.grad;
      }
    if (!w_) throw Error(name() + ": the wrapped layer has no parameter named \"weight\"");
  }

  // Copied and moved as a whole; w_ and w_grad_ are re-bound instead.
  struct State {
    Tensor<T> weight_orig, weight_orig_grad, u, v, wv;
    T sigma = 0;
    bool forwarded = false;
  };

  L layer_;
  kernels::SpectralGeometry geo_;
  State st_;
  Tensor<T>* w_ = nullptr;
  Tensor<T>* w_grad_ = nullptr;
};

/// spectral_norm(Conv2d<float>(1, 64, 4, 2, 1)): PyTorch's torch.nn.utils.spectral_norm.
template <class L>
SpectralNorm<L> spectral_norm(L layer) {
  return SpectralNorm<L>(std::move(layer));
}
template <class L>
SpectralNorm<L> spectral_norm(L layer, Rng& rng) {
  return SpectralNorm<L>(std::move(layer), rng);
}

}  // namespace gan

#pragma once
/// BatchNorm2d<T>: as torch.nn.BatchNorm2d(channels, eps, momentum) with affine=True and
/// track_running_stats=True.
///
///   x: [N, C, H, W] -> y: [N, C, H, W],  y = gamma (x - mean) / sqrt(var + eps) + beta
///   parameters: "weight" (gamma, init 1), "bias" (beta, init 0), both [C]
///   buffers: "running_mean" (init 0), "running_var" (init 1), both [C]
/// Training mode normalises with the batch's mean and biased variance and updates
///   running = (1 - momentum) running + momentum batch, with the UNBIASED variance
///   (M / (M - 1) var), as PyTorch does; eval mode normalises with the running stats.
/// PyTorch's num_batches_tracked buffer is not kept: it only matters for momentum=None.
/// backward is the full gradient through the batch statistics in training mode (Ioffe &
/// Szegedy 2015, section 3) and the affine one in eval mode. forward keeps a pointer to x.

#include <cmath>
#include <string>
#include <vector>

#include "gan/kernels/batch_norm.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

template <class T>
class BatchNorm2d : public LayerBase<T> {
 public:
  // Memory flags (layer.hpp): backward reads x and dy, never y; dx is written afresh.
  static constexpr bool overwritable_output = true;
  static constexpr bool overwritable_input_grad = true;

  explicit BatchNorm2d(index_t channels, double eps = 1e-5, double momentum = 0.1)
      : channels_(channels), eps_(eps), momentum_(momentum) {
    if (channels <= 0) throw Error(name() + ": channels must be positive");
    if (!(eps > 0) || !(momentum >= 0 && momentum <= 1))
      throw Error(name() + ": needs eps > 0 and momentum in [0, 1]");
    for (Tensor<T>* t : {&weight_, &bias_, &weight_grad_, &bias_grad_, &running_mean_,
                         &running_var_, &mean_, &var_, &invstd_, &scale_, &shift_})
      t->resize({channels});
    weight_.fill(T(1));
    running_var_.fill(T(1));
  }

  Shape output_shape(const Shape& in) const {
    if (in.rank() != 4 || in[1] != channels_)
      throw input_error(name(), "[N, " + std::to_string(channels_) + ", H, W]", in);
    return in;
  }

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(output_shape(x.shape()));
    const index_t n = x.dim(0), plane = x.dim(2) * x.dim(3), m = n * plane;
    if (this->training_ && m < 2)
      throw Error(name() + ": training needs more than one value per channel, got input " +
                  x.shape().str());
    x_ = &x;
    batch_stats_ = this->training_;
    if (batch_stats_) {
      kernels::batch_norm_stats(n, channels_, plane, x.data(), mean_.data(), var_.data());
      const T mom = static_cast<T>(momentum_);
      const T unbias = static_cast<T>(m) / static_cast<T>(m - 1);
      for (index_t c = 0; c < channels_; ++c) {
        running_mean_[c] = (1 - mom) * running_mean_[c] + mom * mean_[c];
        running_var_[c] = (1 - mom) * running_var_[c] + mom * var_[c] * unbias;
      }
    } else {
      mean_.copy_from(running_mean_);
      var_.copy_from(running_var_);
    }
    for (index_t c = 0; c < channels_; ++c) {
      invstd_[c] = T(1) / std::sqrt(var_[c] + static_cast<T>(eps_));
      scale_[c] = weight_[c] * invstd_[c];
      shift_[c] = bias_[c] - mean_[c] * scale_[c];
    }
    kernels::batch_norm_apply(n, channels_, plane, x.data(), scale_.data(), shift_.data(),
                              y_.data());
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    check_backward(dy);
    dx_.resize(dy.shape());
    backward_into(dy, dx_);
    return dx_;
  }

  /// backward with dx written over dy, which nobody may read again (Sequential's, layer.hpp):
  /// the kernel reads a channel's dy whole before it writes that channel's dx.
  const Tensor<T>& backward_in_place(Tensor<T>& dy) {
    check_backward(dy);
    backward_into(dy, dy);
    return dy;
  }

  std::vector<Parameter<T>> parameters() {
    return {{"weight", weight_, weight_grad_}, {"bias", bias_, bias_grad_}};
  }
  std::vector<Buffer<T>> buffers() {
    return {{"running_mean", running_mean_}, {"running_var", running_var_}};
  }
  void zero_grad() noexcept {
    weight_grad_.zero();
    bias_grad_.zero();
  }

  std::string name() const { return "BatchNorm2d(" + std::to_string(channels_) + ")"; }

 private:
  void check_backward(const Tensor<T>& dy) const {
    if (!x_ || dy.shape() != y_.shape()) throw backward_error(name(), y_.shape(), dy.shape());
  }
  // dx may be dy.
  void backward_into(const Tensor<T>& dy, Tensor<T>& dx) {
    const bool grads = this->requires_grad();
    kernels::batch_norm_backward(dy.dim(0), channels_, dy.dim(2) * dy.dim(3), x_->data(), dy.data(),
                                 mean_.data(), invstd_.data(), weight_.data(), batch_stats_,
                                 dx.data(), grads ? weight_grad_.data() : nullptr,
                                 grads ? bias_grad_.data() : nullptr);
  }

  index_t channels_;
  double eps_, momentum_;
  bool batch_stats_ = true;
  Tensor<T> weight_, bias_, weight_grad_, bias_grad_, running_mean_, running_var_;
  Tensor<T> mean_, var_, invstd_, scale_, shift_, y_, dx_;
  const Tensor<T>* x_ = nullptr;
};

}  // namespace gan

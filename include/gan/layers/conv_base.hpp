#pragma once
/// detail::ConvBase<T, Derived>: what Conv2d and ConvTranspose2d share.
///
/// Both take the same options (channels in and out, a square kernel, one stride and one
/// padding for both axes, an optional bias), hold a weight and a bias with their gradients,
/// initialised as PyTorch does, an output and an input-gradient buffer, and the geometry of
/// the one convolution whose kernels they run (kernels/conv_geometry.hpp). They differ in
/// the weight's layout and fan_in (transposed: [in, out, k, k], fan_in = out * k * k, as
/// PyTorch reads it from weight.size(1)), in output_shape, and in which kernel each
/// direction calls. Derived supplies
///   Shape output_shape(const Shape& in) const;   // throws input_error on a bad shape
///   kernels::Conv2dGeometry geometry(const Shape& in, const Shape& out) const;
/// and starts its forward with begin_forward(x) and its backward with begin_backward(dy);
/// both return the kernels' working memory (core/scratch.hpp, shared by every layer).
///
/// Buffers: y is resized when the input shape changes, dx on the first backward (a network
/// that only samples, as an EMA generator, holds no input gradients); neither allocates in
/// a steady-state step.

#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/scratch.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/tensor.hpp"
#include "gan/kernels/conv_geometry.hpp"
#include "gan/layers/init.hpp"
#include "gan/layers/layer.hpp"

namespace gan::detail {

/// "Conv2d(1->64, k=4, s=2, p=1)", with ", bias=false" when there is no bias.
inline std::string conv_layer_name(const std::string& kind, index_t in_ch, index_t out_ch,
                                   index_t kernel, index_t stride, index_t padding, bool bias) {
  return kind + "(" + std::to_string(in_ch) + "->" + std::to_string(out_ch) +
         ", k=" + std::to_string(kernel) + ", s=" + std::to_string(stride) +
         ", p=" + std::to_string(padding) + (bias ? "" : ", bias=false") + ")";
}

/// Throws unless the constructor options of a (transposed) convolution make sense.
inline void check_conv_options(const std::string& name, index_t in_ch, index_t out_ch,
                               index_t kernel, index_t stride, index_t padding) {
  auto require = [&](bool ok, const std::string& what, index_t got) {
    if (!ok) throw Error(name + ": " + what + ", got " + std::to_string(got));
  };
  require(in_ch > 0, "in_channels must be positive", in_ch);
  require(out_ch > 0, "out_channels must be positive", out_ch);
  require(kernel > 0, "kernel_size must be positive", kernel);
  require(stride > 0, "stride must be positive", stride);
  require(padding >= 0, "padding must not be negative", padding);
}

/// "[N, 3, H >= 2, W >= 2]" (or "[N, 3, H, W]" when any size will do).
inline std::string image_shape_text(index_t channels, index_t min_size) {
  const std::string c = std::to_string(channels);
  if (min_size <= 1) return "[N, " + c + ", H, W]";
  const std::string m = std::to_string(min_size);
  return "[N, " + c + ", H >= " + m + ", W >= " + m + "]";
}

template <class T, class Derived>
class ConvBase : public LayerBase<T> {
 public:
  // Memory flags (layer.hpp): backward reads x and dy, never y; dx is written afresh.
  static constexpr bool overwritable_output = true;
  static constexpr bool overwritable_input_grad = true;

  std::vector<Parameter<T>> parameters() {
    std::vector<Parameter<T>> out{{"weight", weight_, weight_grad_}};
    if (has_bias_) out.push_back({"bias", bias_, bias_grad_});
    return out;
  }

  void zero_grad() noexcept {
    weight_grad_.zero();
    bias_grad_.zero();
  }

  std::string name() const {
    return conv_layer_name(transposed_ ? "ConvTranspose2d" : "Conv2d", in_ch_, out_ch_, kernel_,
                           stride_, padding_, has_bias_);
  }

  index_t in_channels() const noexcept { return in_ch_; }
  index_t out_channels() const noexcept { return out_ch_; }
  index_t kernel_size() const noexcept { return kernel_; }
  index_t stride() const noexcept { return stride_; }
  index_t padding() const noexcept { return padding_; }
  bool has_bias() const noexcept { return has_bias_; }

 protected:
  /// Checks the options, then draws the weight and then the bias from gan::default_rng():
  /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  ConvBase(bool transposed, index_t in_ch, index_t out_ch, index_t kernel, index_t stride,
           index_t padding, bool bias)
      : transposed_(transposed),
        in_ch_(in_ch),
        out_ch_(out_ch),
        kernel_(kernel),
        stride_(stride),
        padding_(padding),
        has_bias_(bias) {
    check_conv_options(name(), in_ch, out_ch, kernel, stride, padding);
    const index_t fan_in = (transposed ? out_ch : in_ch) * kernel * kernel;
    weight_.resize(transposed ? Shape{in_ch, out_ch, kernel, kernel}
                              : Shape{out_ch, in_ch, kernel, kernel});
    weight_grad_.resize(weight_.shape());
    init_uniform_fan_in(weight_, fan_in, default_rng());
    if (has_bias_) {
      bias_.resize({out_ch});
      bias_grad_.resize(bias_.shape());
      init_uniform_fan_in(bias_, fan_in, default_rng());
    }
  }

  /// Validates x's shape; when it differs from the last one, re-derives the geometry and
  /// resizes y. Keeps a pointer to x for backward. Returns the kernels' scratch.
  T* begin_forward(const Tensor<T>& x) {
    const Shape out = self().output_shape(x.shape());
    if (x.shape() != input_shape_ || x_ == nullptr) {
      geometry_ = self().geometry(x.shape(), out);
      y_.resize(out);
      input_shape_ = x.shape();
    }
    x_ = &x;
    return scratch<T>(geometry_.workspace_size<T>());
  }

  /// Checks that a forward came first, that dy has y's shape and that x is still what
  /// forward saw; sizes dx. Returns the kernels' scratch.
  T* begin_backward(const Tensor<T>& dy) {
    if (x_ == nullptr) throw Error(name() + ": backward called before forward");
    if (dy.shape() != y_.shape())
      throw Error(name() + ": expected gradient " + y_.shape().str() + ", got " + dy.shape().str());
    if (x_->shape() != input_shape_)
      throw Error(name() + ": the input of forward " + input_shape_.str() +
                  " changed before backward, now " + x_->shape().str());
    dx_.resize(input_shape_);
    return scratch<T>(geometry_.workspace_size<T>());
  }

  const T* bias_or_null() const noexcept { return has_bias_ ? bias_.data() : nullptr; }
  T* bias_grad_or_null() noexcept { return has_bias_ ? bias_grad_.data() : nullptr; }

  bool transposed_;
  index_t in_ch_, out_ch_, kernel_, stride_, padding_;
  bool has_bias_;
  Tensor<T> weight_, bias_, weight_grad_, bias_grad_;
  Tensor<T> y_, dx_;
  kernels::Conv2dGeometry geometry_;
  Shape input_shape_;
  const Tensor<T>* x_ = nullptr;

 private:
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
};

}  // namespace gan::detail

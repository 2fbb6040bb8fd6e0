#pragma once
/// Conv2d<T>: a 2-D convolution layer, as torch.nn.Conv2d with a square kernel, one
/// stride and one padding for both axes (zero padding, no dilation, no groups).
///
///   x: [N, in_ch, H, W] -> y: [N, out_ch, H_out, W_out]
///   H_out = (H + 2*padding - kernel) / stride + 1, W_out likewise; needs H + 2*padding >= kernel
///   parameters: "weight" [out_ch, in_ch, kernel, kernel], "bias" [out_ch] (when bias)
///   initialised as PyTorch does: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
///   fan_in = in_ch * kernel * kernel, weight first, then bias, from gan::default_rng().
///
/// Ownership: forward returns y in layer-owned storage, valid until the next forward. It
/// keeps a POINTER to x, not a copy: x must stay alive and unchanged until backward (as
/// inside Sequential, where x is the previous layer's output). backward(dy) overwrites
/// and returns dL/dx (layer-owned) and ADDS dL/dweight, dL/dbias into the gradients,
/// unless set_requires_grad(false). Output, input-gradient and GEMM workspace buffers are
/// members, resized only when the input shape changes: steady-state steps allocate nothing.
/// The arithmetic is the kernels' (gan/kernels/conv2d.hpp), which this layer only sizes.

#include <algorithm>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/tensor.hpp"
#include "gan/kernels/conv2d.hpp"
#include "gan/kernels/conv_geometry.hpp"
#include "gan/layers/init.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

namespace detail {

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

}  // namespace detail

template <class T>
class Conv2d : public LayerBase<T> {
 public:
  Conv2d(index_t in_ch, index_t out_ch, index_t kernel, index_t stride = 1, index_t padding = 0,
         bool bias = true)
      : in_ch_(in_ch),
        out_ch_(out_ch),
        kernel_(kernel),
        stride_(stride),
        padding_(padding),
        has_bias_(bias) {
    detail::check_conv_options(name(), in_ch, out_ch, kernel, stride, padding);
    const index_t fan_in = in_ch * kernel * kernel;
    weight_.resize({out_ch, in_ch, kernel, kernel});
    weight_grad_.resize(weight_.shape());
    init_uniform_fan_in(weight_, fan_in, default_rng());
    if (has_bias_) {
      bias_.resize({out_ch});
      bias_grad_.resize(bias_.shape());
      init_uniform_fan_in(bias_, fan_in, default_rng());
    }
  }

  /// y = conv(x, weight) + bias. Keeps a pointer to x until backward (see above).
  const Tensor<T>& forward(const Tensor<T>& x) {
    prepare(x.shape());
    x_ = &x;
    kernels::conv2d_forward(geometry_, x.data(), weight_.data(), has_bias_ ? bias_.data() : nullptr,
                            y_.data(), workspace_.data());
    return y_;
  }

  /// Returns dL/dx for dy = dL/dy and adds into the parameter gradients unless frozen.
  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (x_ == nullptr) throw Error(name() + ": backward called before forward");
    if (dy.shape() != y_.shape())
      throw Error(name() + ": expected gradient " + y_.shape().str() + ", got " + dy.shape().str());
    if (x_->shape() != input_shape_)
      throw Error(name() + ": the input of forward " + input_shape_.str() +
                  " changed before backward, now " + x_->shape().str());
    kernels::conv2d_backward_data(geometry_, dy.data(), weight_.data(), dx_.data(),
                                  workspace_.data());
    if (this->requires_grad())
      kernels::conv2d_backward_weights(geometry_, x_->data(), dy.data(), weight_grad_.data(),
                                       has_bias_ ? bias_grad_.data() : nullptr, workspace_.data());
    return dx_;
  }

  /// [N, out_ch, H_out, W_out] for x: [N, in_ch, H, W]; throws gan::Error on a bad shape.
  Shape output_shape(const Shape& in) const {
    if (in.rank() != 4 || in[1] != in_ch_)
      throw input_error(name(), detail::image_shape_text(in_ch_, 1), in);
    const index_t min_size = std::max<index_t>(1, kernel_ - 2 * padding_);
    if (in[2] < min_size || in[3] < min_size)
      throw input_error(name(), detail::image_shape_text(in_ch_, min_size), in);
    return {in[0], out_ch_, (in[2] + 2 * padding_ - kernel_) / stride_ + 1,
            (in[3] + 2 * padding_ - kernel_) / stride_ + 1};
  }

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
    return detail::conv_layer_name("Conv2d", in_ch_, out_ch_, kernel_, stride_, padding_,
                                   has_bias_);
  }

  index_t in_channels() const noexcept { return in_ch_; }
  index_t out_channels() const noexcept { return out_ch_; }
  index_t kernel_size() const noexcept { return kernel_; }
  index_t stride() const noexcept { return stride_; }
  index_t padding() const noexcept { return padding_; }
  bool has_bias() const noexcept { return has_bias_; }

 private:
  // Validates the input shape and, when it differs from the last one, re-derives the
  // geometry and resizes the buffers (Tensor::resize keeps storage that is large enough).
  void prepare(const Shape& in) {
    const Shape out = output_shape(in);
    if (in == input_shape_ && x_ != nullptr) {
      reserve_workspace();
      return;
    }
    geometry_ =
        kernels::Conv2dGeometry(in[0], in_ch_, in[2], in[3], out_ch_, kernel_, stride_, padding_);
    GAN_ASSERT(geometry_.valid() && geometry_.H_out == out[2] && geometry_.W_out == out[3]);
    y_.resize(out);
    dx_.resize(in);
    input_shape_ = in;
    reserve_workspace();
  }

  // The GEMM packing space grows with the thread count, which may change between calls:
  // the workspace grows when needed and is otherwise left alone (no steady-state allocation).
  void reserve_workspace() {
    const index_t need = geometry_.workspace_size<T>();
    if (workspace_.size() < need) workspace_.resize({need});
  }

  index_t in_ch_, out_ch_, kernel_, stride_, padding_;
  bool has_bias_;
  Tensor<T> weight_, bias_, weight_grad_, bias_grad_;
  Tensor<T> y_, dx_, workspace_;
  kernels::Conv2dGeometry geometry_;
  Shape input_shape_;
  const Tensor<T>* x_ = nullptr;
};

}  // namespace gan

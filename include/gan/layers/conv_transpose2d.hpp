#pragma once
/// ConvTranspose2d<T>: a 2-D transposed convolution layer, as torch.nn.ConvTranspose2d
/// with a square kernel, one stride and one padding for both axes (output_padding 0, no
/// dilation, no groups).
///
///   x: [N, in_ch, H, W] -> y: [N, out_ch, H_out, W_out]
///   H_out = (H - 1) * stride - 2 * padding + kernel, W_out likewise; needs H_out >= 1
///   parameters: "weight" [in_ch, out_ch, kernel, kernel], "bias" [out_ch] (when bias)
///   initialised as PyTorch does: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
///   fan_in = out_ch * kernel * kernel (PyTorch reads fan_in from weight.size(1)), weight
///   first, then bias, from gan::default_rng().
///
/// How: a transposed convolution is the gradient of a convolution with respect to its
/// input (Dumoulin & Visin 2016, "A guide to convolution arithmetic", section 4). Take the
/// convolution C that maps [N, out_ch, H_out, W_out] to [N, in_ch, H, W] with the same
/// kernel, stride and padding; its weight [C_out = in_ch, C_in = out_ch, k, k] is exactly
/// our weight. Then
///   forward:        y  = C^T(x)         -> kernels::conv2d_backward_data, + bias
///   backward data:  dx = C(dy)          -> kernels::conv2d_forward (no bias)
///   backward wts:   dW += C's dW with x and dy swapped -> kernels::conv2d_backward_weights
/// so it shares every kernel with Conv2d.
///
/// Ownership and gradient semantics as Conv2d (gan/layers/conv2d.hpp): y and dx are
/// layer-owned, forward keeps a POINTER to x (x must stay alive and unchanged until
/// backward), backward overwrites dx and ADDS into the parameter gradients unless frozen,
/// buffers are resized only when the input shape changes.

#include <algorithm>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/tensor.hpp"
#include "gan/kernels/conv2d.hpp"
#include "gan/kernels/conv_geometry.hpp"
#include "gan/layers/conv2d.hpp"
#include "gan/layers/init.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

template <class T>
class ConvTranspose2d : public LayerBase<T> {
 public:
  ConvTranspose2d(index_t in_ch, index_t out_ch, index_t kernel, index_t stride = 1,
                  index_t padding = 0, bool bias = true)
      : in_ch_(in_ch),
        out_ch_(out_ch),
        kernel_(kernel),
        stride_(stride),
        padding_(padding),
        has_bias_(bias) {
    detail::check_conv_options(name(), in_ch, out_ch, kernel, stride, padding);
    const index_t fan_in = out_ch * kernel * kernel;
    weight_.resize({in_ch, out_ch, kernel, kernel});
    weight_grad_.resize(weight_.shape());
    init_uniform_fan_in(weight_, fan_in, default_rng());
    if (has_bias_) {
      bias_.resize({out_ch});
      bias_grad_.resize(bias_.shape());
      init_uniform_fan_in(bias_, fan_in, default_rng());
    }
  }

  /// y = conv_transpose(x, weight) + bias. Keeps a pointer to x until backward.
  const Tensor<T>& forward(const Tensor<T>& x) {
    prepare(x.shape());
    x_ = &x;
    kernels::conv2d_backward_data(geometry_, x.data(), weight_.data(), y_.data(),
                                  workspace_.data());
    if (has_bias_)
      kernels::add_channel_bias(geometry_.N, out_ch_, geometry_.in_plane(), bias_.data(),
                                y_.data());
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
    kernels::conv2d_forward<T>(geometry_, dy.data(), weight_.data(), nullptr, dx_.data(),
                               workspace_.data());
    if (this->requires_grad()) {
      // The convolution's input is our dy and its output gradient is our x.
      kernels::conv2d_backward_weights<T>(geometry_, dy.data(), x_->data(), weight_grad_.data(),
                                          nullptr, workspace_.data());
      if (has_bias_)
        kernels::conv2d_backward_bias(geometry_.N, out_ch_, geometry_.in_plane(), dy.data(),
                                      bias_grad_.data());
    }
    return dx_;
  }

  /// [N, out_ch, H_out, W_out] for x: [N, in_ch, H, W]; throws gan::Error on a bad shape.
  Shape output_shape(const Shape& in) const {
    if (in.rank() != 4 || in[1] != in_ch_)
      throw input_error(name(), detail::image_shape_text(in_ch_, 1), in);
    // H_out >= 1  <=>  (H - 1) * stride >= 2 * padding + 1 - kernel.
    const index_t deficit = 2 * padding_ + 1 - kernel_;
    const index_t min_size = 1 + (deficit > 0 ? (deficit + stride_ - 1) / stride_ : 0);
    if (in[2] < min_size || in[3] < min_size)
      throw input_error(name(), detail::image_shape_text(in_ch_, min_size), in);
    return {in[0], out_ch_, (in[2] - 1) * stride_ - 2 * padding_ + kernel_,
            (in[3] - 1) * stride_ - 2 * padding_ + kernel_};
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
    return detail::conv_layer_name("ConvTranspose2d", in_ch_, out_ch_, kernel_, stride_, padding_,
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
  // geometry of the underlying convolution (our output is its input) and resizes buffers.
  void prepare(const Shape& in) {
    const Shape out = output_shape(in);
    if (in == input_shape_ && x_ != nullptr) {
      reserve_workspace();
      return;
    }
    geometry_ =
        kernels::Conv2dGeometry(in[0], out_ch_, out[2], out[3], in_ch_, kernel_, stride_, padding_);
    GAN_ASSERT(geometry_.valid() && geometry_.H_out == in[2] && geometry_.W_out == in[3]);
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

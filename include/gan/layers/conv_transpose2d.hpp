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
/// buffers are resized only when the input shape changes (dx on the first backward), the
/// GEMM workspace is the thread's shared scratch; options, parameters, buffers and checks
/// are the ones of layers/conv_base.hpp.

#include "gan/core/shape.hpp"
#include "gan/core/tensor.hpp"
#include "gan/kernels/conv2d.hpp"
#include "gan/kernels/conv_geometry.hpp"
#include "gan/layers/conv_base.hpp"

namespace gan {

template <class T>
class ConvTranspose2d : public detail::ConvBase<T, ConvTranspose2d<T>> {
  using Base = detail::ConvBase<T, ConvTranspose2d<T>>;
  friend Base;

 public:
  ConvTranspose2d(index_t in_ch, index_t out_ch, index_t kernel, index_t stride = 1,
                  index_t padding = 0, bool bias = true)
      : Base(/*transposed*/ true, in_ch, out_ch, kernel, stride, padding, bias) {}

  /// y = conv_transpose(x, weight) + bias. Keeps a pointer to x until backward.
  const Tensor<T>& forward(const Tensor<T>& x) {
    T* scratch = this->begin_forward(x);
    const kernels::Conv2dGeometry& g = this->geometry_;
    kernels::conv2d_backward_data(g, x.data(), this->weight_.data(), this->y_.data(), scratch);
    if (this->has_bias_)
      kernels::add_channel_bias(g.N, this->out_ch_, g.in_plane(), this->bias_.data(),
                                this->y_.data());
    return this->y_;
  }

  /// Returns dL/dx for dy = dL/dy and adds into the parameter gradients unless frozen.
  const Tensor<T>& backward(const Tensor<T>& dy) {
    T* scratch = this->begin_backward(dy);
    const kernels::Conv2dGeometry& g = this->geometry_;
    kernels::conv2d_forward<T>(g, dy.data(), this->weight_.data(), nullptr, this->dx_.data(),
                               scratch);
    if (this->requires_grad()) {
      // The convolution's input is our dy and its output gradient is our x.
      kernels::conv2d_backward_weights<T>(g, dy.data(), this->x_->data(), this->weight_grad_.data(),
                                          nullptr, scratch);
      if (this->has_bias_)
        kernels::conv2d_backward_bias(g.N, this->out_ch_, g.in_plane(), dy.data(),
                                      this->bias_grad_.data());
    }
    return this->dx_;
  }

  /// [N, out_ch, H_out, W_out] for x: [N, in_ch, H, W]; throws gan::Error on a bad shape.
  Shape output_shape(const Shape& in) const {
    if (in.rank() != 4 || in[1] != this->in_ch_)
      throw input_error(this->name(), detail::image_shape_text(this->in_ch_, 1), in);
    const index_t k = this->kernel_, s = this->stride_, p = this->padding_;
    // H_out >= 1  <=>  (H - 1) * stride >= 2 * padding + 1 - kernel.
    const index_t deficit = 2 * p + 1 - k;
    const index_t min_size = 1 + (deficit > 0 ? (deficit + s - 1) / s : 0);
    if (in[2] < min_size || in[3] < min_size)
      throw input_error(this->name(), detail::image_shape_text(this->in_ch_, min_size), in);
    return {in[0], this->out_ch_, (in[2] - 1) * s - 2 * p + k, (in[3] - 1) * s - 2 * p + k};
  }

 private:
  // The convolution read backwards: its input is our output y, its output our input x.
  kernels::Conv2dGeometry geometry(const Shape& in, const Shape& out) const {
    const kernels::Conv2dGeometry g(in[0], this->out_ch_, out[2], out[3], this->in_ch_,
                                    this->kernel_, this->stride_, this->padding_);
    GAN_ASSERT(g.valid() && g.H_out == in[2] && g.W_out == in[3]);
    return g;
  }
};

}  // namespace gan

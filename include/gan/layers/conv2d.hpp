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
/// unless set_requires_grad(false). Output and input-gradient buffers are
/// members, resized only when the input shape changes (dx on the first backward); the GEMM
/// workspace is the thread's scratch shared by all layers (core/scratch.hpp). Steady-state
/// steps allocate nothing. Options, parameters, buffers and checks are shared with
/// ConvTranspose2d (layers/conv_base.hpp). The arithmetic is the kernels'
/// (gan/kernels/conv2d.hpp), which this layer only sizes.

#include <algorithm>

#include "gan/core/shape.hpp"
#include "gan/core/tensor.hpp"
#include "gan/kernels/conv2d.hpp"
#include "gan/kernels/conv_geometry.hpp"
#include "gan/layers/conv_base.hpp"

namespace gan {

template <class T>
class Conv2d : public detail::ConvBase<T, Conv2d<T>> {
  using Base = detail::ConvBase<T, Conv2d<T>>;
  friend Base;

 public:
  Conv2d(index_t in_ch, index_t out_ch, index_t kernel, index_t stride = 1, index_t padding = 0,
         bool bias = true)
      : Base(/*transposed*/ false, in_ch, out_ch, kernel, stride, padding, bias) {}

  /// y = conv(x, weight) + bias. Keeps a pointer to x until backward (see above).
  const Tensor<T>& forward(const Tensor<T>& x) {
    T* scratch = this->begin_forward(x);
    kernels::conv2d_forward(this->geometry_, x.data(), this->weight_.data(), this->bias_or_null(),
                            this->y_.data(), scratch);
    return this->y_;
  }

  /// Returns dL/dx for dy = dL/dy and adds into the parameter gradients unless frozen.
  const Tensor<T>& backward(const Tensor<T>& dy) {
    T* scratch = this->begin_backward(dy);
    kernels::conv2d_backward_data(this->geometry_, dy.data(), this->weight_.data(),
                                  this->dx_.data(), scratch);
    if (this->requires_grad())
      kernels::conv2d_backward_weights(this->geometry_, this->x_->data(), dy.data(),
                                       this->weight_grad_.data(), this->bias_grad_or_null(),
                                       scratch);
    return this->dx_;
  }

  /// [N, out_ch, H_out, W_out] for x: [N, in_ch, H, W]; throws gan::Error on a bad shape.
  Shape output_shape(const Shape& in) const {
    if (in.rank() != 4 || in[1] != this->in_ch_)
      throw input_error(this->name(), detail::image_shape_text(this->in_ch_, 1), in);
    const index_t k = this->kernel_, s = this->stride_, p = this->padding_;
    const index_t min_size = std::max<index_t>(1, k - 2 * p);
    if (in[2] < min_size || in[3] < min_size)
      throw input_error(this->name(), detail::image_shape_text(this->in_ch_, min_size), in);
    return {in[0], this->out_ch_, (in[2] + 2 * p - k) / s + 1, (in[3] + 2 * p - k) / s + 1};
  }

 private:
  // The convolution this layer is: x -> y.
  kernels::Conv2dGeometry geometry(const Shape& in, [[maybe_unused]] const Shape& out) const {
    const kernels::Conv2dGeometry g(in[0], this->in_ch_, in[2], in[3], this->out_ch_, this->kernel_,
                                    this->stride_, this->padding_);
    GAN_ASSERT(g.valid() && g.H_out == out[2] && g.W_out == out[3]);
    return g;
  }
};

}  // namespace gan

#pragma once
/// AvgPool2d<T>: as torch.nn.AvgPool2d(kernel_size, stride) with padding 0 and
/// ceil_mode false (stride defaults to the kernel size, as in PyTorch).
///
///   x: [N, C, H, W] -> y: [N, C, H_out, W_out],  H_out = floor((H - k) / s) + 1, likewise W
///   y = the mean of each k x k window (gan/kernels/avg_pool2d.hpp); no parameters.
///   backward(dy) overwrites and returns dx: each window's dy / k^2 spread over its pixels.
/// AvgPool2d(2) halves an image (28 -> 14): the multi-discriminator trainer uses it for a
/// discriminator that sees the image at half resolution (docs/multi_discriminator.md).

#include <string>

#include "gan/kernels/avg_pool2d.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

template <class T>
class AvgPool2d : public LayerBase<T> {
 public:
  // Memory flags (layer.hpp): backward reads only dy; dx is written afresh.
  static constexpr bool overwritable_output = true;
  static constexpr bool overwritable_input_grad = true;

  explicit AvgPool2d(index_t kernel_size, index_t stride = 0)
      : kernel_(kernel_size), stride_(stride == 0 ? kernel_size : stride) {
    if (kernel_ < 1 || stride_ < 1)
      throw Error("AvgPool2d: kernel_size and stride must be >= 1, got " +
                  std::to_string(kernel_size) + " and " + std::to_string(stride));
  }

  index_t kernel_size() const noexcept { return kernel_; }
  index_t stride() const noexcept { return stride_; }

  Shape output_shape(const Shape& in) const {
    if (in.rank() != 4 || in[2] < kernel_ || in[3] < kernel_)
      throw input_error(name(), "[N, C, H, W] with H, W >= " + std::to_string(kernel_), in);
    return {in[0], in[1], (in[2] - kernel_) / stride_ + 1, (in[3] - kernel_) / stride_ + 1};
  }

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(output_shape(x.shape()));
    in_shape_ = x.shape();
    kernels::avg_pool2d_forward(x.dim(0) * x.dim(1), x.dim(2), x.dim(3), kernel_, stride_, x.data(),
                                y_.data());
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (in_shape_.rank() != 4 || dy.shape() != y_.shape())
      throw backward_error(name(), y_.shape(), dy.shape());
    dx_.resize(in_shape_);
    kernels::avg_pool2d_backward(in_shape_[0] * in_shape_[1], in_shape_[2], in_shape_[3], kernel_,
                                 stride_, dy.data(), dx_.data());
    return dx_;
  }

  std::string name() const {
    return "AvgPool2d(k=" + std::to_string(kernel_) + ", s=" + std::to_string(stride_) + ")";
  }

 private:
  index_t kernel_, stride_;
  Shape in_shape_;
  Tensor<T> y_, dx_;
};

}  // namespace gan

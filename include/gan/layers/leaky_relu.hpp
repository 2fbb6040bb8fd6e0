#pragma once
/// LeakyReLU<T>: as torch.nn.LeakyReLU: y = x for x > 0, slope * x otherwise.
///
///   x: any shape -> y: the same shape. Element-wise (gan/kernels/elementwise.hpp).
///   backward(dy) overwrites and returns dx; there are no parameters.
/// forward keeps a pointer to x until backward (the derivative needs the sign of x).

#include <string>

#include "gan/kernels/elementwise.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

template <class T>
class LeakyReLU : public LayerBase<T> {
 public:
  explicit LeakyReLU(T slope = T(0.01)) : slope_(slope) {}
  T slope() const noexcept { return slope_; }

  Shape output_shape(const Shape& in) const { return in; }

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(x.shape());
    x_ = &x;
    kernels::leaky_relu_forward(x.size(), slope_, x.data(), y_.data());
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (!x_ || dy.shape() != y_.shape())
      throw Error(name() + ": backward expects dy " + y_.shape().str() + " after a forward, got " +
                  dy.shape().str());
    dx_.resize(dy.shape());
    kernels::leaky_relu_backward(dy.size(), slope_, x_->data(), dy.data(), dx_.data());
    return dx_;
  }

  std::string name() const {
    return "LeakyReLU(" + detail::format_number(static_cast<double>(slope_)) + ")";
  }

 private:
  T slope_;
  Tensor<T> y_, dx_;
  const Tensor<T>* x_ = nullptr;
};

}  // namespace gan

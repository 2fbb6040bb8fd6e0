#pragma once
/// ReLU<T>: as torch.nn.ReLU: y = max(x, 0).
///
///   x: any shape -> y: the same shape. Element-wise (gan/kernels/elementwise.hpp).
///   backward(dy) overwrites and returns dx; there are no parameters.
/// forward keeps a pointer to x until backward (the derivative needs the sign of x).

#include <string>

#include "gan/kernels/elementwise.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

template <class T>
class ReLU : public LayerBase<T> {
 public:
  Shape output_shape(const Shape& in) const { return in; }

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(x.shape());
    x_ = &x;
    kernels::relu_forward(x.size(), x.data(), y_.data());
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (!x_ || dy.shape() != y_.shape())
      throw Error(name() + ": backward expects dy " + y_.shape().str() + " after a forward, got " +
                  dy.shape().str());
    dx_.resize(dy.shape());
    kernels::relu_backward(dy.size(), x_->data(), dy.data(), dx_.data());
    return dx_;
  }

  std::string name() const { return "ReLU()"; }

 private:
  Tensor<T> y_, dx_;
  const Tensor<T>* x_ = nullptr;
};

}  // namespace gan

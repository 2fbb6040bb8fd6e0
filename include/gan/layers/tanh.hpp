#pragma once
/// Tanh<T>: as torch.nn.Tanh: y = tanh(x).
///
///   x: any shape -> y: the same shape. Element-wise (gan/kernels/elementwise.hpp).
///   backward(dy) overwrites and returns dx; there are no parameters.
/// The derivative 1 - y^2 is computed from the layer's own output.

#include <string>

#include "gan/kernels/elementwise.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

template <class T>
class Tanh : public LayerBase<T> {
 public:
  Shape output_shape(const Shape& in) const { return in; }

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(x.shape());
    x_ = &x;
    kernels::tanh_forward(x.size(), x.data(), y_.data());
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (!x_ || dy.shape() != y_.shape())
      throw Error(name() + ": backward expects dy " + y_.shape().str() + " after a forward, got " +
                  dy.shape().str());
    dx_.resize(dy.shape());
    kernels::tanh_backward(dy.size(), y_.data(), dy.data(), dx_.data());
    return dx_;
  }

  std::string name() const { return "Tanh()"; }

 private:
  Tensor<T> y_, dx_;
  const Tensor<T>* x_ = nullptr;
};

}  // namespace gan

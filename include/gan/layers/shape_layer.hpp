#pragma once
/// ShapeLayer<T, Derived>: the forward and backward shared by the layers that only give each
/// sample another shape (Reshape, Flatten). Derived supplies output_shape(in) and name().
///
///   forward(x):   y = x's elements in Derived::output_shape(x.shape())
///   backward(dy): dx = dy's elements in x's shape. No parameters.
/// The elements are copied into layer-owned storage (one memcpy each way), so forward
/// returns a tensor of the layer's own, like every other layer.

#include "gan/layers/layer.hpp"

namespace gan::detail {

template <class T, class Derived>
class ShapeLayer : public LayerBase<T> {
 public:
  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(self().output_shape(x.shape()));
    y_.copy_from(x);
    in_shape_ = x.shape();
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (dy.shape() != y_.shape())
      throw Error(self().name() + ": backward expects dy " + y_.shape().str() + ", got " +
                  dy.shape().str());
    dx_.resize(in_shape_);
    dx_.copy_from(dy);
    return dx_;
  }

 private:
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }

  Shape in_shape_;
  Tensor<T> y_, dx_;
};

}  // namespace gan::detail

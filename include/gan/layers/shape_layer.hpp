#pragma once
/// ShapeLayer<T, Derived>: the forward and backward shared by the layers that only give each
/// sample another shape (Reshape, Flatten). Derived supplies output_shape(in) and name().
///
///   forward(x):   y = x's elements in Derived::output_shape(x.shape())
///   backward(dy): dx = dy's elements in x's shape. No parameters.
/// Both are views (Tensor::view): no copy and no storage of the layer's own. So y is valid
/// while x is, and dx while dy is (inside Sequential: until the neighbour's next forward or
/// backward), which is what every layer's contract asks of its input anyway.

#include "gan/layers/layer.hpp"

namespace gan::detail {

template <class T, class Derived>
class ShapeLayer : public LayerBase<T> {
 public:
  static constexpr bool views_input = true;  // memory flag (layer.hpp)

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_ = Tensor<T>::view(x, self().output_shape(x.shape()));
    in_shape_ = x.shape();
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (dy.shape() != y_.shape())
      throw Error(self().name() + ": backward expects dy " + y_.shape().str() + ", got " +
                  dy.shape().str());
    dx_ = Tensor<T>::view(dy, in_shape_);
    return dx_;
  }

 private:
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }

  Shape in_shape_;
  Tensor<T> y_, dx_;
};

}  // namespace gan::detail

#pragma once
/// Flatten<T>: as torch.nn.Flatten(): [N, ...] -> [N, product of the rest].
///
///   backward(dy): dx = dy viewed as x's shape. No parameters. Elements are copied into
///   layer-owned storage (one memcpy), so forward returns a tensor of the layer's own.

#include <string>

#include "gan/layers/layer.hpp"

namespace gan {

template <class T>
class Flatten : public LayerBase<T> {
 public:
  Shape output_shape(const Shape& in) const {
    if (in.rank() < 1) throw input_error(name(), "[N, ...]", in);
    return {in[0], in.per_sample()};
  }

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(output_shape(x.shape()));
    y_.copy_from(x);
    in_shape_ = x.shape();
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (dy.shape() != y_.shape())
      throw Error(name() + ": backward expects dy " + y_.shape().str() + ", got " +
                  dy.shape().str());
    dx_.resize(in_shape_);
    dx_.copy_from(dy);
    return dx_;
  }

  std::string name() const { return "Flatten()"; }

 private:
  Shape in_shape_;
  Tensor<T> y_, dx_;
};

}  // namespace gan

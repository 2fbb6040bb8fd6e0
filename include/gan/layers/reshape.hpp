#pragma once
/// Reshape<T>: views each sample in a new shape, as torch.nn.Unflatten(1, shape).
///
///   x: [N, ...] -> y: [N, target...], per-sample element counts equal
///   backward(dy): dx = dy viewed as x's shape. No parameters.
/// The elements are copied into layer-owned storage (one memcpy), so forward returns a
/// tensor of the layer's own, like every other layer.

#include <string>

#include "gan/layers/layer.hpp"

namespace gan {

template <class T>
class Reshape : public LayerBase<T> {
 public:
  /// target: the shape of one sample, without N (at most 3 dimensions).
  explicit Reshape(const Shape& target) : target_(target) {
    if (target.rank() < 1 || target.rank() > 3)
      throw Error("Reshape: target shape " + target.str() + " must have 1 to 3 dimensions");
  }

  Shape output_shape(const Shape& in) const {
    if (in.rank() < 1 || in.per_sample() != target_.numel())
      throw input_error(
          name(), "[N, ...] with " + std::to_string(target_.numel()) + " elements per sample", in);
    return with_batch(in[0]);
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

  std::string name() const { return "Reshape(" + target_.str() + ")"; }

 private:
  Shape with_batch(index_t n) const {
    switch (target_.rank()) {
      case 1:
        return {n, target_[0]};
      case 2:
        return {n, target_[0], target_[1]};
      default:
        return {n, target_[0], target_[1], target_[2]};
    }
  }

  Shape target_, in_shape_;
  Tensor<T> y_, dx_;
};

}  // namespace gan

#pragma once
/// Reshape<T>: gives each sample a new shape, as torch.nn.Unflatten(1, shape).
///
///   x: [N, ...] -> y: [N, target...], per-sample element counts equal
///   backward(dy): dx = dy in x's shape. No parameters. Both are views of the input, not
///   copies (detail::ShapeLayer, shape_layer.hpp): y is valid while x is.

#include <string>

#include "gan/layers/shape_layer.hpp"

namespace gan {

template <class T>
class Reshape : public detail::ShapeLayer<T, Reshape<T>> {
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
    switch (target_.rank()) {
      case 1:
        return {in[0], target_[0]};
      case 2:
        return {in[0], target_[0], target_[1]};
      default:
        return {in[0], target_[0], target_[1], target_[2]};
    }
  }

  std::string name() const { return "Reshape(" + target_.str() + ")"; }

 private:
  Shape target_;
};

}  // namespace gan

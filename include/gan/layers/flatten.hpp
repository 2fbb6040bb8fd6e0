#pragma once
/// Flatten<T>: as torch.nn.Flatten(): [N, ...] -> [N, product of the rest].
///
///   backward(dy): dx = dy in x's shape. No parameters. Both are views of the input, not
///   copies (detail::ShapeLayer, shape_layer.hpp): y is valid while x is.

#include <string>

#include "gan/layers/shape_layer.hpp"

namespace gan {

template <class T>
class Flatten : public detail::ShapeLayer<T, Flatten<T>> {
 public:
  Shape output_shape(const Shape& in) const {
    if (in.rank() < 1) throw input_error(name(), "[N, ...]", in);
    return {in[0], in.per_sample()};
  }

  std::string name() const { return "Flatten()"; }
};

}  // namespace gan

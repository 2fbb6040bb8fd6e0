#pragma once
/// Sigmoid<T>: as torch.nn.Sigmoid: y = 1 / (1 + exp(-x)), stable for any x. Element-wise,
/// any shape, no parameters (Elementwise, elementwise_layer.hpp); the derivative y (1 - y)
/// is computed from the layer's own output.

#include <string>

#include "gan/kernels/elementwise.hpp"
#include "gan/layers/elementwise_layer.hpp"

namespace gan {

namespace detail {
template <class T>
struct SigmoidOp {
  static constexpr bool from_output = true;
  void forward(index_t n, const T* x, T* y) const noexcept { kernels::sigmoid_forward(n, x, y); }
  void backward(index_t n, const T* y, const T* dy, T* dx) const noexcept {
    kernels::sigmoid_backward(n, y, dy, dx);
  }
  std::string name() const { return "Sigmoid()"; }
};
}  // namespace detail

template <class T>
class Sigmoid : public Elementwise<T, detail::SigmoidOp<T>> {};

}  // namespace gan

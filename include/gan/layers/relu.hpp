#pragma once
/// ReLU<T>: as torch.nn.ReLU: y = max(x, 0). Element-wise, any shape, no parameters
/// (Elementwise, elementwise_layer.hpp); the derivative needs the sign of x, which is the sign
/// of y (y > 0 exactly when x > 0), so it reads y and can run in place.

#include <string>

#include "gan/kernels/elementwise.hpp"
#include "gan/layers/elementwise_layer.hpp"

namespace gan {

namespace detail {
template <class T>
struct ReluOp {
  static constexpr bool from_output = true;
  void forward(index_t n, const T* x, T* y) const noexcept { kernels::relu_forward(n, x, y); }
  void backward(index_t n, const T* y, const T* dy, T* dx) const noexcept {
    kernels::relu_backward(n, y, dy, dx);
  }
  std::string name() const { return "ReLU()"; }
};
}  // namespace detail

template <class T>
class ReLU : public Elementwise<T, detail::ReluOp<T>> {};

}  // namespace gan

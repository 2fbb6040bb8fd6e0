#pragma once
/// Tanh<T>: as torch.nn.Tanh: y = tanh(x). Element-wise, any shape, no parameters
/// (Elementwise, elementwise_layer.hpp); the derivative 1 - y^2 is computed from the
/// layer's own output.

#include <string>

#include "gan/kernels/elementwise.hpp"
#include "gan/layers/elementwise_layer.hpp"

namespace gan {

namespace detail {
template <class T>
struct TanhOp {
  static constexpr bool from_output = true;
  void forward(index_t n, const T* x, T* y) const noexcept { kernels::tanh_forward(n, x, y); }
  void backward(index_t n, const T* y, const T* dy, T* dx) const noexcept {
    kernels::tanh_backward(n, y, dy, dx);
  }
  std::string name() const { return "Tanh()"; }
};
}  // namespace detail

template <class T>
class Tanh : public Elementwise<T, detail::TanhOp<T>> {};

}  // namespace gan

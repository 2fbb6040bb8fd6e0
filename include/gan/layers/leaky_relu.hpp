#pragma once
/// LeakyReLU<T>: as torch.nn.LeakyReLU: y = x for x > 0, slope * x otherwise. Element-wise,
/// any shape, no parameters (Elementwise, elementwise_layer.hpp). The derivative needs the
/// sign of x, which for slope >= 0 is the sign of y (y > 0 exactly when x > 0): such a layer
/// reads y, so it can run in place; one with a negative slope reads x.

#include <string>

#include "gan/kernels/elementwise.hpp"
#include "gan/layers/elementwise_layer.hpp"

namespace gan {

namespace detail {
template <class T>
struct LeakyReluOp {
  T slope;
  bool from_output;  // slope >= 0
  void forward(index_t n, const T* x, T* y) const noexcept {
    kernels::leaky_relu_forward(n, slope, x, y);
  }
  // saved: y or x, whose signs agree when slope >= 0 (kernels/elementwise.hpp).
  void backward(index_t n, const T* saved, const T* dy, T* dx) const noexcept {
    kernels::leaky_relu_backward(n, slope, saved, dy, dx);
  }
  std::string name() const {
    return "LeakyReLU(" + format_number(static_cast<double>(slope)) + ")";
  }
};
}  // namespace detail

template <class T>
class LeakyReLU : public Elementwise<T, detail::LeakyReluOp<T>> {
 public:
  explicit LeakyReLU(T slope = T(0.01))
      : Elementwise<T, detail::LeakyReluOp<T>>(detail::LeakyReluOp<T>{slope, slope >= 0}) {}
  T slope() const noexcept { return this->op().slope; }
};

}  // namespace gan

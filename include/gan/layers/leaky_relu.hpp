#pragma once
/// LeakyReLU<T>: as torch.nn.LeakyReLU: y = x for x > 0, slope * x otherwise. Element-wise,
/// any shape, no parameters (Elementwise, elementwise_layer.hpp); the derivative needs the
/// sign of x.

#include <string>

#include "gan/kernels/elementwise.hpp"
#include "gan/layers/elementwise_layer.hpp"

namespace gan {

namespace detail {
template <class T>
struct LeakyReluOp {
  static constexpr bool from_output = false;
  T slope;
  void forward(index_t n, const T* x, T* y) const noexcept {
    kernels::leaky_relu_forward(n, slope, x, y);
  }
  void backward(index_t n, const T* x, const T* dy, T* dx) const noexcept {
    kernels::leaky_relu_backward(n, slope, x, dy, dx);
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
      : Elementwise<T, detail::LeakyReluOp<T>>(detail::LeakyReluOp<T>{slope}) {}
  T slope() const noexcept { return this->op().slope; }
};

}  // namespace gan

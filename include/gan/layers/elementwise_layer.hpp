#pragma once
/// Elementwise<T, Op>: the one layer behind the activations (ReLU, LeakyReLU, Sigmoid,
/// Tanh): y = f(x) element by element, no parameters, any shape.
///
///   x: any shape -> y: the same shape. backward(dy) overwrites and returns dx.
/// Op is a small struct over a kernel of gan/kernels/elementwise.hpp:
///   static constexpr bool from_output;  // f' is computed from y (Sigmoid, Tanh), else x
///   void forward(index_t n, const T* x, T* y) const noexcept;
///   void backward(index_t n, const T* saved, const T* dy, T* dx) const noexcept;
///                                       // saved: y if from_output, else x
///   std::string name() const;           // as PyTorch prints the module, "ReLU()"
/// forward keeps a pointer to x until backward (as every layer does); only an Op with
/// from_output = false reads it there.

#include <string>

#include "gan/layers/layer.hpp"

namespace gan {

template <class T, class Op>
class Elementwise : public LayerBase<T> {
 public:
  Elementwise() = default;
  explicit Elementwise(Op op) : op_(op) {}

  Shape output_shape(const Shape& in) const { return in; }

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(x.shape());
    x_ = &x;
    op_.forward(x.size(), x.data(), y_.data());
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (!x_ || dy.shape() != y_.shape()) throw backward_error(name(), y_.shape(), dy.shape());
    dx_.resize(dy.shape());
    op_.backward(dy.size(), Op::from_output ? y_.data() : x_->data(), dy.data(), dx_.data());
    return dx_;
  }

  std::string name() const { return op_.name(); }

 protected:
  const Op& op() const noexcept { return op_; }

 private:
  Op op_{};
  Tensor<T> y_, dx_;
  const Tensor<T>* x_ = nullptr;
};

}  // namespace gan

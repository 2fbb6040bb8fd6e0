#pragma once
/// Elementwise<T, Op>: the one layer behind the activations (ReLU, LeakyReLU, Sigmoid,
/// Tanh): y = f(x) element by element, no parameters, any shape.
///
///   x: any shape -> y: the same shape. backward(dy) overwrites and returns dx.
/// Op is a small struct over a kernel of gan/kernels/elementwise.hpp:
///   bool from_output;                   // f' is computed from y (Sigmoid, Tanh, ReLU), else
///                                       // from x; a static constexpr or a member
///   void forward(index_t n, const T* x, T* y) const noexcept;
///   void backward(index_t n, const T* saved, const T* dy, T* dx) const noexcept;
///                                       // saved: y if from_output, else x
///   std::string name() const;           // as PyTorch prints the module, "ReLU()"
/// Both kernels must allow their output to be their input (x == y, dy == dx): an element is
/// read before it is written.
///
/// In place, for Sequential (docs/architecture.md, "activations work in place"): when the layer
/// before it does not read its own output in backward, Sequential calls forward_in_place(x), which
/// writes y over x (only where in_place_ok(): f' must come from y, since x is gone); when the layer
/// after it leaves a gradient nobody reads again, it calls backward_in_place(dy), which
/// writes dx over dy. Either way the layer then holds no buffer of its own. forward keeps a
/// pointer to x (or to y, in place) until backward, as every layer does.

#include <string>

#include "gan/layers/layer.hpp"

namespace gan {

template <class T, class Op>
class Elementwise : public LayerBase<T> {
 public:
  /// Sequential may write the layer's input gradient over: it is dx_, or a dy that was
  /// already free.
  static constexpr bool overwritable_input_grad = true;

  Elementwise() = default;
  explicit Elementwise(Op op) : op_(op) {}

  Shape output_shape(const Shape& in) const { return in; }

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(x.shape());
    op_.forward(x.size(), x.data(), y_.data());
    x_ = &x;
    y_seen_ = &y_;
    return y_;
  }

  /// True when f' can be read off y, so y may replace x.
  bool in_place_ok() const noexcept { return op_.from_output; }

  /// forward with y written over x, which nobody may read again (needs in_place_ok()).
  const Tensor<T>& forward_in_place(Tensor<T>& x) {
    if (!in_place_ok()) throw Error(name() + ": cannot run in place, its backward needs x");
    op_.forward(x.size(), x.data(), x.data());
    x_ = nullptr;
    y_seen_ = &x;
    return x;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    const T* saved = check_backward(dy);
    dx_.resize(dy.shape());
    op_.backward(dy.size(), saved, dy.data(), dx_.data());
    return dx_;
  }

  /// backward with dx written over dy, which nobody may read again.
  const Tensor<T>& backward_in_place(Tensor<T>& dy) {
    const T* saved = check_backward(dy);
    op_.backward(dy.size(), saved, dy.data(), dy.data());
    return dy;
  }

  std::string name() const { return op_.name(); }

 protected:
  const Op& op() const noexcept { return op_; }

 private:
  // Throws unless a forward came first and dy has y's shape; returns what f' needs.
  const T* check_backward(const Tensor<T>& dy) const {
    if (!y_seen_ || dy.shape() != y_seen_->shape())
      throw backward_error(name(), y_seen_ ? y_seen_->shape() : y_.shape(), dy.shape());
    return op_.from_output ? y_seen_->data() : x_->data();
  }

  Op op_{};
  Tensor<T> y_, dx_;
  const Tensor<T>* x_ = nullptr;       // the last forward's input (null in place)
  const Tensor<T>* y_seen_ = nullptr;  // its output: y_, or x in place
};

}  // namespace gan

#pragma once
/// What makes a type a layer, and the pieces every layer shares.
///
/// A layer L with value type T (L::value_type) has
///   const Tensor<T>& forward(const Tensor<T>& x);   // caches what backward needs
///   const Tensor<T>& backward(const Tensor<T>& dy); // overwrites and returns dL/dx,
///                                                   // ADDS into parameter grads
///   Shape output_shape(const Shape& in) const;      // validates the input shape
///   std::vector<Parameter<T>> parameters();         // name, value, grad
///   std::vector<Buffer<T>> buffers();               // state that is not trained
///   void zero_grad(); void train(bool); void eval(); void set_requires_grad(bool);
///   std::string name() const;                       // "Conv2d(1->64, k=4, s=2, p=1)"
/// Parameter and Buffer live in core/parameter.hpp (included here).
/// LayerBase<T> supplies the modes and the empty defaults, so parameter-free layers
/// only write forward, backward, output_shape and name. is_layer_v<L> checks it all.
///
/// Optional, read by Sequential to keep fewer buffers (docs/architecture.md, "activations work in
/// place"); a layer that says nothing gets false and is never written over:
///   static constexpr bool overwritable_output;      // forward returns a buffer of the
///       // layer's own that its backward never reads: the next layer may write over it
///   static constexpr bool overwritable_input_grad;  // backward returns a buffer nobody
///       // reads again: the layer before may write its own dx over it
///   static constexpr bool views_input;              // forward returns a view of x and
///       // backward a view of dy (Reshape, Flatten): free exactly when those are
///   bool in_place_ok() const;                          // these two: the layer can write
///   const Tensor<T>& forward_in_place(Tensor<T>& x);   // y over x when in_place_ok()
///   const Tensor<T>& backward_in_place(Tensor<T>& dy); // and dx over dy (Elementwise;
///                                                      // BatchNorm2d only the backward)

#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/parameter.hpp"
#include "gan/core/shape.hpp"
#include "gan/core/tensor.hpp"

namespace gan {

/// Modes and defaults shared by every layer. Not polymorphic: composition is by
/// templates (Sequential), so there is no virtual call on the hot path.
template <class T>
class LayerBase {
 public:
  using value_type = T;

  /// Training mode (the default) or evaluation mode (BatchNorm uses running stats).
  void train(bool on = true) noexcept { training_ = on; }
  void eval() noexcept { training_ = false; }
  bool is_training() const noexcept { return training_; }

  /// A frozen layer still returns dL/dx but accumulates no parameter gradients.
  void set_requires_grad(bool on) noexcept { requires_grad_ = on; }
  bool requires_grad() const noexcept { return requires_grad_; }

  std::vector<Parameter<T>> parameters() { return {}; }
  std::vector<Buffer<T>> buffers() { return {}; }
  void zero_grad() noexcept {}

 protected:
  bool training_ = true;
  bool requires_grad_ = true;
};

namespace detail {
/// A number as a person writes it in a layer's name: 0.2, 1e-05, 3.
inline std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace detail

/// The error for a bad input shape: "<layer>: expected input <what>, got <shape>". Throw it
/// as `if (!ok) throw input_error(name(), ...)`, so the message (strings, allocations) is
/// built only on failure and a checked forward pass stays allocation-free.
inline Error input_error(const std::string& layer, const std::string& expected, const Shape& got) {
  return Error(layer + ": expected input " + expected + ", got " + got.str());
}

/// The error for a backward without a forward or with a dy of the wrong shape:
/// "<layer>: backward expects dy <expected> after a forward, got <shape>"; thrown as
/// input_error is, so a checked backward stays allocation-free.
inline Error backward_error(const std::string& layer, const Shape& expected, const Shape& got) {
  return Error(layer + ": backward expects dy " + expected.str() + " after a forward, got " +
               got.str());
}

namespace detail {
template <class L, class = void>
struct is_layer : std::false_type {};

template <class L>
struct is_layer<
    L,
    std::void_t<typename L::value_type,
                decltype(std::declval<L&>().forward(
                    std::declval<const Tensor<typename L::value_type>&>())),
                decltype(std::declval<L&>().backward(
                    std::declval<const Tensor<typename L::value_type>&>())),
                decltype(std::declval<const L&>().output_shape(std::declval<const Shape&>())),
                decltype(std::declval<L&>().parameters()), decltype(std::declval<L&>().buffers()),
                decltype(std::declval<L&>().zero_grad()), decltype(std::declval<L&>().train(true)),
                decltype(std::declval<L&>().set_requires_grad(true)),
                decltype(std::declval<const L&>().name())>>
    : std::bool_constant<std::is_same_v<decltype(std::declval<L&>().forward(
                                            std::declval<const Tensor<typename L::value_type>&>())),
                                        const Tensor<typename L::value_type>&> &&
                         std::is_same_v<decltype(std::declval<L&>().backward(
                                            std::declval<const Tensor<typename L::value_type>&>())),
                                        const Tensor<typename L::value_type>&> &&
                         std::is_same_v<decltype(std::declval<L&>().parameters()),
                                        std::vector<Parameter<typename L::value_type>>>> {};
}  // namespace detail

/// True when L has the layer interface above.
template <class L>
inline constexpr bool is_layer_v = detail::is_layer<L>::value;

namespace detail {
template <class L, class = void>
struct overwritable_output : std::false_type {};
template <class L>
struct overwritable_output<L, std::void_t<decltype(L::overwritable_output)>>
    : std::bool_constant<L::overwritable_output> {};

template <class L, class = void>
struct overwritable_input_grad : std::false_type {};
template <class L>
struct overwritable_input_grad<L, std::void_t<decltype(L::overwritable_input_grad)>>
    : std::bool_constant<L::overwritable_input_grad> {};

template <class L, class = void>
struct views_input : std::false_type {};
template <class L>
struct views_input<L, std::void_t<decltype(L::views_input)>> : std::bool_constant<L::views_input> {
};

template <class L, class = void>
struct has_forward_in_place : std::false_type {};
template <class L>
struct has_forward_in_place<L, std::void_t<decltype(std::declval<const L&>().in_place_ok()),
                                           decltype(std::declval<L&>().forward_in_place(
                                               std::declval<Tensor<typename L::value_type>&>()))>>
    : std::true_type {};

template <class L, class = void>
struct has_backward_in_place : std::false_type {};
template <class L>
struct has_backward_in_place<L, std::void_t<decltype(std::declval<L&>().backward_in_place(
                                    std::declval<Tensor<typename L::value_type>&>()))>>
    : std::true_type {};
}  // namespace detail

/// The optional memory flags above, false when a layer does not state them.
template <class L>
inline constexpr bool overwritable_output_v = detail::overwritable_output<L>::value;
template <class L>
inline constexpr bool overwritable_input_grad_v = detail::overwritable_input_grad<L>::value;
template <class L>
inline constexpr bool views_input_v = detail::views_input<L>::value;
template <class L>
inline constexpr bool has_forward_in_place_v = detail::has_forward_in_place<L>::value;
template <class L>
inline constexpr bool has_backward_in_place_v = detail::has_backward_in_place<L>::value;

}  // namespace gan

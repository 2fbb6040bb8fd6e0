#pragma once
/// Sequential<L...>: layers composed at compile time, as PyTorch's nn.Sequential.
///
///   gan::Sequential net{gan::Dense<float>(100, 256), gan::LeakyReLU<float>(0.2f),
///                       gan::Dense<float>(256, 784), gan::Sigmoid<float>()};
///
/// x: the first layer's input -> y: the last layer's output. forward is a left fold
/// over the tuple of layers, backward the right fold; each layer's output buffer is
/// the next one's input, so nothing is copied. Parameter names are "<index>.<name>"
/// ("0.weight", "3.bias"), the keys of a PyTorch state_dict. A layer may keep a
/// pointer to its input until backward, so the caller keeps `x` alive until then.
/// Sequential is itself a layer, so it nests ("1.0.weight").
///
/// In place (docs/architecture.md, "activations work in place"): an activation whose neighbour
/// leaves a buffer nobody reads again writes over it instead of into a buffer of its own:
/// its forward over the output of a Conv2d, ConvTranspose2d, Dense or BatchNorm2d before it
/// (whose backward never reads it), its backward over the input gradient of the layer after
/// it; BatchNorm2d's backward does the same. Which positions do so follows at compile time from
/// the layers' memory flags (layer.hpp); the caller's x and dy are never written, except
/// through backward_in_place(dy), which an outer Sequential calls on a nested one (a DCGAN
/// block ending in BatchNorm2d and an activation) when the dy it hands over is free. The
/// results are the same bits; what changes is that a layer's output, inside a Sequential, may
/// be overwritten by the next layer's forward.

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "gan/layers/layer.hpp"

namespace gan {

namespace detail {
// Which positions of a Sequential over the tuple Layers run in place (see above).

// May layer I + 1 write over what layer I's forward returns?
template <class Layers, std::size_t I>
constexpr bool output_free() {
  using L = std::tuple_element_t<I, Layers>;
  if constexpr (!views_input_v<L>)
    return overwritable_output_v<L>;
  else if constexpr (I == 0)
    return false;  // a view of the caller's x
  else
    return output_free<Layers, I - 1>();
}

// May layer I write over the dy its backward is given? The last layer's dy is the caller's:
// free only when DyFree (Sequential::backward_in_place).
template <class Layers, std::size_t I, bool DyFree = false>
constexpr bool grad_free() {
  if constexpr (I + 1 == std::tuple_size_v<Layers>) {
    return DyFree;
  } else {
    using Next = std::tuple_element_t<I + 1, Layers>;
    if constexpr (views_input_v<Next>)
      return grad_free<Layers, I + 1, DyFree>();
    else
      return overwritable_input_grad_v<Next>;
  }
}

template <class Layers, std::size_t I>
constexpr bool forward_in_place() {
  if constexpr (I == 0 || !has_forward_in_place_v<std::tuple_element_t<I, Layers>>)
    return false;
  else
    return output_free<Layers, I - 1>();
}

template <class Layers, std::size_t I, bool DyFree = false>
constexpr bool backward_in_place() {
  return has_backward_in_place_v<std::tuple_element_t<I, Layers>> && grad_free<Layers, I, DyFree>();
}
}  // namespace detail

template <class First, class... Rest>
class Sequential {
  static_assert(is_layer_v<First> && (is_layer_v<Rest> && ...),
                "gan::Sequential: every element must be a layer, with value_type, forward, "
                "backward, output_shape, parameters, buffers, zero_grad, train, "
                "set_requires_grad and name (see gan/layers/layer.hpp)");
  static_assert((std::is_same_v<typename First::value_type, typename Rest::value_type> && ...),
                "gan::Sequential: all layers must share one value_type (float or double)");

 public:
  using value_type = typename First::value_type;
  using T = value_type;
  using Layers = std::tuple<First, Rest...>;
  static constexpr std::size_t size = 1 + sizeof...(Rest);

 public:
  /// The memory flags of a Sequential as a layer (layer.hpp): its output is its last
  /// layer's; its input gradient is its first layer's.
  static constexpr bool overwritable_output = detail::output_free<Layers, size - 1>();
  static constexpr bool overwritable_input_grad =
      views_input_v<First> ? detail::grad_free<Layers, 0>() : overwritable_input_grad_v<First>;

  explicit Sequential(First first, Rest... rest) : layers_(std::move(first), std::move(rest)...) {}

  const Tensor<T>& forward(const Tensor<T>& x) { return forward_(x, Indices{}); }
  const Tensor<T>& backward(const Tensor<T>& dy) { return backward_<false>(dy, Indices{}); }
  /// backward with dy free to be written over: what an outer Sequential calls when the layer
  /// after this one leaves a gradient nobody reads again, so that this one's last layers (a
  /// block's BatchNorm2d and activation) run in place too.
  const Tensor<T>& backward_in_place(Tensor<T>& dy) { return backward_<true>(dy, Indices{}); }

  Shape output_shape(const Shape& in) const {
    Shape s = in;
    std::apply([&](const auto&... layer) { ((s = layer.output_shape(s)), ...); }, layers_);
    return s;
  }

  std::vector<Parameter<T>> parameters() {
    std::vector<Parameter<T>> out;
    for_each_indexed([&](std::size_t i, auto& layer) {
      for (auto& p : layer.parameters())
        out.push_back({std::to_string(i) + "." + p.name, p.value, p.grad});
    });
    return out;
  }

  std::vector<Buffer<T>> buffers() {
    std::vector<Buffer<T>> out;
    for_each_indexed([&](std::size_t i, auto& layer) {
      for (auto& b : layer.buffers()) out.push_back({std::to_string(i) + "." + b.name, b.value});
    });
    return out;
  }

  void zero_grad() noexcept {
    std::apply([](auto&... layer) { (layer.zero_grad(), ...); }, layers_);
  }
  void train(bool on = true) noexcept {
    std::apply([on](auto&... layer) { (layer.train(on), ...); }, layers_);
  }
  void eval() noexcept { train(false); }
  void set_requires_grad(bool on) noexcept {
    std::apply([on](auto&... layer) { (layer.set_requires_grad(on), ...); }, layers_);
  }

  std::string name() const {
    std::string s = "Sequential(";
    std::apply(
        [&](const auto&... layer) {
          std::size_t i = 0;
          ((s += (i++ ? ", " : "") + layer.name()), ...);
        },
        layers_);
    return s + ")";
  }

  /// The I-th layer.
  template <std::size_t I>
  auto& get() noexcept {
    return std::get<I>(layers_);
  }
  template <std::size_t I>
  const auto& get() const noexcept {
    return std::get<I>(layers_);
  }

 private:
  using Indices = std::make_index_sequence<size>;

  template <std::size_t... I>
  const Tensor<T>& forward_(const Tensor<T>& x, std::index_sequence<I...>) {
    const Tensor<T>* cur = &x;
    ((cur = &forward_at<I>(*cur)), ...);
    return *cur;
  }

  template <bool DyFree, std::size_t... I>
  const Tensor<T>& backward_(const Tensor<T>& dy, std::index_sequence<I...>) {
    const Tensor<T>* cur = &dy;
    ((cur = &backward_at<size - 1 - I, DyFree>(*cur)), ...);
    return *cur;
  }

  // The const_casts below are sound: where forward_in_place<I> or backward_in_place<I> holds,
  // the tensor is a non-const member of a neighbouring layer (or a view of one) that nobody
  // reads again (output_free, grad_free), or the dy an outer Sequential handed to
  // backward_in_place, which is such a member of its own neighbour.
  template <std::size_t I>
  const Tensor<T>& forward_at(const Tensor<T>& x) {
    auto& layer = std::get<I>(layers_);
    if constexpr (detail::forward_in_place<Layers, I>()) {
      if (layer.in_place_ok()) return layer.forward_in_place(const_cast<Tensor<T>&>(x));
    }
    return layer.forward(x);
  }

  template <std::size_t I, bool DyFree>
  const Tensor<T>& backward_at(const Tensor<T>& dy) {
    auto& layer = std::get<I>(layers_);
    if constexpr (detail::backward_in_place<Layers, I, DyFree>())
      return layer.backward_in_place(const_cast<Tensor<T>&>(dy));
    else
      return layer.backward(dy);
  }

  template <class F>
  void for_each_indexed(F&& f) {
    std::size_t i = 0;
    std::apply([&](auto&... layer) { (f(i++, layer), ...); }, layers_);
  }

  Layers layers_;
};

template <class First, class... Rest>
Sequential(First, Rest...) -> Sequential<First, Rest...>;

}  // namespace gan

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

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "gan/layers/layer.hpp"

namespace gan {

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
  static constexpr std::size_t size = 1 + sizeof...(Rest);

  explicit Sequential(First first, Rest... rest) : layers_(std::move(first), std::move(rest)...) {}

  const Tensor<T>& forward(const Tensor<T>& x) { return forward_(x, Indices{}); }
  const Tensor<T>& backward(const Tensor<T>& dy) { return backward_(dy, Indices{}); }

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
    ((cur = &std::get<I>(layers_).forward(*cur)), ...);
    return *cur;
  }

  template <std::size_t... I>
  const Tensor<T>& backward_(const Tensor<T>& dy, std::index_sequence<I...>) {
    const Tensor<T>* cur = &dy;
    ((cur = &std::get<size - 1 - I>(layers_).backward(*cur)), ...);
    return *cur;
  }

  template <class F>
  void for_each_indexed(F&& f) {
    std::size_t i = 0;
    std::apply([&](auto&... layer) { (f(i++, layer), ...); }, layers_);
  }

  std::tuple<First, Rest...> layers_;
};

template <class First, class... Rest>
Sequential(First, Rest...) -> Sequential<First, Rest...>;

}  // namespace gan

#pragma once
/// Dense<T>: a fully connected layer, as torch.nn.Linear.
///
///   x: [N, in] -> y: [N, out],  y = x W^T + b
///   parameters: "weight" [out, in], "bias" [out] (when bias), initialised as PyTorch
///   does: U(-1/sqrt(in), 1/sqrt(in)), weight first, then bias, from gan::default_rng().
///   backward(dy): dx = dy W (overwritten), dW += dy^T x, db += sum_n dy (added).
/// forward keeps a pointer to x until backward (x must stay alive, as in Sequential).
/// The three products run on the packed GEMM in the thread's scratch shared by all layers
/// (core/scratch.hpp), grown only when a larger need comes, so a steady-state step
/// allocates nothing.

#include <algorithm>
#include <string>
#include <vector>

#include "gan/core/scratch.hpp"
#include "gan/kernels/elementwise.hpp"
#include "gan/kernels/gemm.hpp"
#include "gan/layers/init.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

template <class T>
class Dense : public LayerBase<T> {
 public:
  // Memory flags (layer.hpp): backward reads x and dy, never y; dx is written afresh.
  static constexpr bool overwritable_output = true;
  static constexpr bool overwritable_input_grad = true;

  Dense(index_t in, index_t out, bool bias = true) : in_(in), out_(out), has_bias_(bias) {
    if (in <= 0 || out <= 0) throw Error(name() + ": in and out features must be positive");
    weight_.resize({out, in});
    weight_grad_.resize({out, in});
    init_uniform_fan_in(weight_, in, default_rng());
    if (bias) {
      bias_.resize({out});
      bias_grad_.resize({out});
      init_uniform_fan_in(bias_, in, default_rng());
    }
  }

  Shape output_shape(const Shape& in) const {
    if (in.rank() != 2 || in[1] != in_)
      throw input_error(name(), "[N, " + std::to_string(in_) + "]", in);
    return {in[0], out_};
  }

  const Tensor<T>& forward(const Tensor<T>& x) {
    y_.resize(output_shape(x.shape()));
    x_ = &x;
    const index_t n = x.dim(0);
    kernels::gemm(false, true, n, out_, in_, T(1), x.data(), in_, weight_.data(), in_, T(0),
                  y_.data(), out_, scratch(n));
    if (has_bias_) kernels::add_row_bias(n, out_, bias_.data(), y_.data());
    return y_;
  }

  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (!x_ || dy.shape() != y_.shape()) throw backward_error(name(), y_.shape(), dy.shape());
    const index_t n = dy.dim(0);
    dx_.resize(x_->shape());
    T* ws = scratch(n);
    kernels::gemm(false, false, n, in_, out_, T(1), dy.data(), out_, weight_.data(), in_, T(0),
                  dx_.data(), in_, ws);
    if (this->requires_grad()) {
      kernels::gemm(true, false, out_, in_, n, T(1), dy.data(), out_, x_->data(), in_, T(1),
                    weight_grad_.data(), in_, ws);
      if (has_bias_) kernels::add_column_sums(n, out_, dy.data(), bias_grad_.data());
    }
    return dx_;
  }

  std::vector<Parameter<T>> parameters() {
    std::vector<Parameter<T>> p{{"weight", weight_, weight_grad_}};
    if (has_bias_) p.push_back({"bias", bias_, bias_grad_});
    return p;
  }

  void zero_grad() noexcept {
    weight_grad_.zero();
    bias_grad_.zero();
  }

  std::string name() const {
    return "Dense(" + std::to_string(in_) + "->" + std::to_string(out_) +
           (has_bias_ ? "" : ", bias=false") + ")";
  }

  index_t in_features() const noexcept { return in_; }
  index_t out_features() const noexcept { return out_; }

 private:
  // The thread's scratch (core/scratch.hpp), room for the largest of the three products at
  // the current thread count.
  T* scratch(index_t n) const {
    return detail::scratch<T>(std::max({kernels::gemm_workspace_size<T>(n, out_, in_),
                                        kernels::gemm_workspace_size<T>(n, in_, out_),
                                        kernels::gemm_workspace_size<T>(out_, in_, n)}));
  }

  index_t in_, out_;
  bool has_bias_;
  Tensor<T> weight_, bias_, weight_grad_, bias_grad_, y_, dx_;
  const Tensor<T>* x_ = nullptr;
};

}  // namespace gan

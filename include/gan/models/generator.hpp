#pragma once
/// Generator<Net>: a network that turns noise (and, if conditional, a class label)
/// into images.
///
///   z: [N, z_dim] (+ labels: [N] in [0, classes)) -> images: net's output, e.g. [N, 1, 28, 28]
/// A conditional generator feeds [z, one_hot(label)] ([N, z_dim + classes]) to its net
/// (Mirza & Osindero 2014). backward(d_images) adds into the net's parameter gradients.
/// Owns its net and its input buffer; forward's result lives until the next forward.

#include <string>
#include <utility>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/kernels/label_join.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

namespace detail {
inline void check_labels(const std::string& who, index_t n, const std::vector<int>& labels,
                         index_t classes) {
  if (classes == 0) {
    if (!labels.empty()) throw Error(who + ": labels given to an unconditional model");
    return;
  }
  if (static_cast<index_t>(labels.size()) != n)
    throw Error(who + ": expected " + std::to_string(n) + " labels, got " +
                std::to_string(labels.size()));
  for (int l : labels)
    if (l < 0 || l >= classes)
      throw Error(who + ": label " + std::to_string(l) + " outside [0, " + std::to_string(classes) +
                  ")");
}
}  // namespace detail

template <class Net>
class Generator {
  static_assert(is_layer_v<Net>, "gan::Generator<Net>: Net must be a layer (gan::is_layer_v)");

 public:
  using value_type = typename Net::value_type;
  using T = value_type;

  /// classes = 0: unconditional; otherwise the number of labels it can be asked for.
  Generator(Net net, index_t z_dim, index_t classes = 0)
      : net_(std::move(net)), z_dim_(z_dim), classes_(classes) {
    if (z_dim <= 0 || classes < 0)
      throw Error("Generator: z_dim must be > 0 and classes >= 0, got z_dim = " +
                  std::to_string(z_dim) + ", classes = " + std::to_string(classes));
  }

  /// Images from noise z [N, z_dim]; labels [N] are required iff the model is conditional.
  const Tensor<T>& forward(const Tensor<T>& z, const std::vector<int>& labels = {}) {
    if (z.rank() != 2 || z.dim(1) != z_dim_)
      throw Error("Generator: expected noise [N, " + std::to_string(z_dim_) + "], got " +
                  z.shape().str());
    if (classes_ > 0 && labels.empty())
      throw Error("Generator: a conditional model needs a label per sample");
    detail::check_labels("Generator", z.dim(0), labels, classes_);
    if (classes_ == 0) return net_.forward(z);
    input_.resize({z.dim(0), z_dim_ + classes_});
    kernels::append_one_hot(z.dim(0), z_dim_, z.data(), labels.data(), classes_, input_.data());
    return net_.forward(input_);
  }

  /// Backpropagates dL/d(images); adds into the parameter gradients.
  void backward(const Tensor<T>& d_images) { net_.backward(d_images); }

  /// Fills z with n standard-normal noise vectors.
  void sample_noise(Tensor<T>& z, index_t n, Rng& rng) const {
    z.resize({n, z_dim_});
    rng.fill_normal(z);
  }

  index_t z_dim() const noexcept { return z_dim_; }
  index_t classes() const noexcept { return classes_; }
  bool conditional() const noexcept { return classes_ > 0; }
  Net& net() noexcept { return net_; }
  const Net& net() const noexcept { return net_; }
  std::vector<Parameter<T>> parameters() { return net_.parameters(); }
  std::vector<Buffer<T>> buffers() { return net_.buffers(); }
  void zero_grad() noexcept { net_.zero_grad(); }
  void train(bool on = true) noexcept { net_.train(on); }
  void eval() noexcept { net_.train(false); }

 private:
  Net net_;
  index_t z_dim_;
  index_t classes_;
  Tensor<T> input_;
};

}  // namespace gan

#pragma once
/// Discriminator<Net>: a network that scores images as real or fake.
///
///   images: [N, C, H, W] (+ labels: [N] in [0, classes)) -> scores: [N, 1]
/// Scores are probabilities (the net ends in Sigmoid) or, with Output::logits, raw
/// logits for BCE-with-logits. A conditional discriminator sees the image with one
/// constant plane per class appended ([N, C + classes, H, W]), 1 on the sample's class.
/// backward(d_scores) returns dL/d(images) (the image channels only) and adds into the
/// parameter gradients unless they are frozen (set_requires_grad(false)).

#include <string>
#include <utility>
#include <vector>

#include "gan/kernels/label_join.hpp"
#include "gan/layers/layer.hpp"
#include "gan/models/generator.hpp"

namespace gan {

enum class Output { probability, logits };

template <class Net>
class Discriminator {
  static_assert(is_layer_v<Net>, "gan::Discriminator<Net>: Net must be a layer (gan::is_layer_v)");

 public:
  using value_type = typename Net::value_type;
  using T = value_type;

  explicit Discriminator(Net net, index_t classes = 0, Output output = Output::probability)
      : net_(std::move(net)), classes_(classes), output_(output) {
    if (classes < 0) throw Error("Discriminator: classes must be >= 0");
  }

  const Tensor<T>& forward(const Tensor<T>& images, const std::vector<int>& labels = {}) {
    if (classes_ == 0) {
      detail::check_labels("Discriminator", images.dim(0), labels, classes_);
      return net_.forward(images);
    }
    if (images.rank() != 4)
      throw Error("Discriminator: expected images [N, C, H, W], got " + images.shape().str());
    if (labels.empty()) throw Error("Discriminator: a conditional model needs a label per sample");
    detail::check_labels("Discriminator", images.dim(0), labels, classes_);
    image_shape_ = images.shape();
    input_.resize({images.dim(0), images.dim(1) + classes_, images.dim(2), images.dim(3)});
    kernels::append_label_planes(images.dim(0), images.dim(1), images.dim(2) * images.dim(3),
                                 images.data(), labels.data(), classes_, input_.data());
    return net_.forward(input_);
  }

  /// dL/d(images) for the last forward; adds into the parameter gradients.
  const Tensor<T>& backward(const Tensor<T>& d_scores) {
    const Tensor<T>& d_input = net_.backward(d_scores);
    if (classes_ == 0) return d_input;
    d_images_.resize(image_shape_);
    kernels::take_leading(image_shape_[0], d_input.size() / image_shape_[0],
                          image_shape_.per_sample(), d_input.data(), d_images_.data());
    return d_images_;
  }

  index_t classes() const noexcept { return classes_; }
  bool conditional() const noexcept { return classes_ > 0; }
  Output output() const noexcept { return output_; }
  Net& net() noexcept { return net_; }
  const Net& net() const noexcept { return net_; }
  std::vector<Parameter<T>> parameters() { return net_.parameters(); }
  std::vector<Buffer<T>> buffers() { return net_.buffers(); }
  void zero_grad() noexcept { net_.zero_grad(); }
  void set_requires_grad(bool on) noexcept { net_.set_requires_grad(on); }
  void train(bool on = true) noexcept { net_.train(on); }
  void eval() noexcept { net_.train(false); }

 private:
  Net net_;
  index_t classes_;
  Output output_;
  Shape image_shape_;
  Tensor<T> input_, d_images_;
};

}  // namespace gan

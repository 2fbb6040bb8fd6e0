#pragma once
/// ProjectionDiscriminator<Net>: a conditional discriminator that takes the class by
/// projection (Miyato & Koyama 2018, "cGANs with Projection Discriminator", eq. 3):
///
///   logit(x, y) = psi(phi(x)) + <E[y], phi(x)>
///
/// phi is the net's body (images [N, C, H, W] -> features [N, F]), psi its head (features
/// -> [N, 1], a Dense or a spectrally normalised Dense), E a trained embedding [classes, F].
/// The label meets the features where D decides, instead of entering as constant input
/// planes (Discriminator's scheme), which the paper finds gives samples that match their
/// class far more often.
///
///   ProjectionDiscriminator d(Sequential{body, Dense<T>(F, 1)}, classes, Output::logits);
///   images: [N, C, H, W], labels: [N] in [0, classes) -> scores: [N, 1]
///
/// Net is a Sequential of exactly two layers, body then head, so that it initialises,
/// names and saves as any net does ("0.*" the body, "1.*" the head); the embedding is the
/// parameter "embed.weight", drawn from N(0, 0.02) at construction (DCGAN's initialisation,
/// from gan::default_rng()). Scores are probabilities (a Sigmoid after the sum) or logits.
/// backward(d_scores) returns dL/d(images) and adds into the parameter gradients unless
/// frozen:  d phi_i = g_i (dpsi/dphi + E[y_i]),  dE[y_i] += g_i phi_i  (g = dL/dlogit).
/// The interface is Discriminator's (discriminator.hpp), so everything that takes one
/// (Trainer, erase_discriminator) takes this.

#include <string>
#include <utility>
#include <vector>

#include "gan/kernels/elementwise.hpp"
#include "gan/layers/init.hpp"
#include "gan/layers/layer.hpp"
#include "gan/models/discriminator.hpp"

namespace gan {

template <class Net>
class ProjectionDiscriminator {
  static_assert(is_layer_v<Net>, "gan::ProjectionDiscriminator<Net>: Net must be a layer");

 public:
  using value_type = typename Net::value_type;
  using T = value_type;

  ProjectionDiscriminator(Net net, index_t classes, Output output = Output::probability)
      : net_(std::move(net)), classes_(classes), output_(output) {
    if (classes < 1) throw Error("ProjectionDiscriminator: needs at least one class");
    const index_t f = head_features();
    embed_.resize({classes, f});
    embed_grad_.resize({classes, f});
    embed_grad_.zero();
    default_rng().fill_normal(embed_, 0.0, 0.02);
  }

  const Tensor<T>& forward(const Tensor<T>& images, const std::vector<int>& labels) {
    if (images.rank() != 4)
      throw Error("ProjectionDiscriminator: expected images [N, C, H, W], got " +
                  images.shape().str());
    if (labels.empty())
      throw Error("ProjectionDiscriminator: a conditional model needs a label per sample");
    detail::check_labels("ProjectionDiscriminator", images.dim(0), labels, classes_);
    const Tensor<T>& phi = body().forward(images);
    if (phi.rank() != 2)
      throw Error("ProjectionDiscriminator: the body must give features [N, F], got " +
                  phi.shape().str());
    if (phi.dim(1) != embed_.dim(1))
      throw Error("ProjectionDiscriminator: the body gives " + std::to_string(phi.dim(1)) +
                  " features, the head and embedding take " + std::to_string(embed_.dim(1)));
    phi_ = &phi;
    labels_ = labels;
    const Tensor<T>& psi = head().forward(phi);
    const index_t n = phi.dim(0), f = phi.dim(1);
    scores_.resize({n, 1});
    for (index_t i = 0; i < n; ++i) {
      const T* e = embed_.data() + labels[static_cast<std::size_t>(i)] * f;
      const T* p = phi.data() + i * f;
      T dot = 0;
      for (index_t j = 0; j < f; ++j) dot += e[j] * p[j];
      scores_[i] = psi[i] + dot;
    }
    if (output_ == Output::probability) kernels::sigmoid_forward(n, scores_.data(), scores_.data());
    return scores_;
  }

  /// dL/d(images) for the last forward; adds into the parameter gradients.
  const Tensor<T>& backward(const Tensor<T>& d_scores) {
    if (!phi_ || d_scores.shape() != scores_.shape())
      throw Error("ProjectionDiscriminator: backward expects d_scores " + scores_.shape().str() +
                  " after a forward, got " + d_scores.shape().str());
    const index_t n = phi_->dim(0), f = phi_->dim(1);
    d_logits_.resize({n, 1});
    if (output_ == Output::probability)
      kernels::sigmoid_backward(n, scores_.data(), d_scores.data(), d_logits_.data());
    else
      std::copy(d_scores.data(), d_scores.data() + n, d_logits_.data());
    // The head's dx first: it overwrites, the projection adds.
    d_phi_.resize({n, f});
    const Tensor<T>& d_head = head().backward(d_logits_);
    std::copy(d_head.data(), d_head.data() + n * f, d_phi_.data());
    for (index_t i = 0; i < n; ++i) {
      const index_t y = labels_[static_cast<std::size_t>(i)];
      const T g = d_logits_[i];
      const T* e = embed_.data() + y * f;
      const T* p = phi_->data() + i * f;
      T* dp = d_phi_.data() + i * f;
      T* de = embed_grad_.data() + y * f;
      for (index_t j = 0; j < f; ++j) dp[j] += g * e[j];
      if (learn_)
        for (index_t j = 0; j < f; ++j) de[j] += g * p[j];
    }
    return body().backward(d_phi_);
  }

  index_t classes() const noexcept { return classes_; }
  bool conditional() const noexcept { return true; }
  Output output() const noexcept { return output_; }
  Net& net() noexcept { return net_; }
  const Net& net() const noexcept { return net_; }
  /// The embedding E [classes, F].
  Tensor<T>& embedding() noexcept { return embed_; }

  /// The net's parameters, then "embed.weight".
  std::vector<Parameter<T>> parameters() {
    std::vector<Parameter<T>> p = net_.parameters();
    p.push_back({"embed.weight", embed_, embed_grad_});
    return p;
  }
  std::vector<Buffer<T>> buffers() { return net_.buffers(); }
  void zero_grad() noexcept {
    net_.zero_grad();
    embed_grad_.zero();
  }
  void set_requires_grad(bool on) noexcept {
    net_.set_requires_grad(on);
    learn_ = on;
  }
  void train(bool on = true) noexcept { net_.train(on); }
  void eval() noexcept { net_.train(false); }

 private:
  auto& body() noexcept { return net_.template get<0>(); }
  auto& head() noexcept { return net_.template get<1>(); }

  /// F, from the head's weight [1, F] (Dense) or "weight_orig" (spectrally normalised).
  index_t head_features() {
    for (auto& p : head().parameters())
      if (p.value.rank() == 2) return p.value.dim(1);
    throw Error("ProjectionDiscriminator: the head has no weight matrix [1, F]");
  }

  Net net_;
  index_t classes_;
  Output output_;
  bool learn_ = true;
  Tensor<T> embed_, embed_grad_;
  const Tensor<T>* phi_ = nullptr;
  std::vector<int> labels_;
  Tensor<T> scores_, d_logits_, d_phi_;
};

}  // namespace gan

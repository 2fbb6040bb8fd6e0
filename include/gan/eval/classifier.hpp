#pragma once
/// Classifier<T>: the small CNN whose penultimate features the sample-quality metrics
/// (fid.hpp, kid.hpp, precision_recall.hpp) are computed on, and whose class
/// probabilities give the class statistics (class_stats.hpp). One architecture serves
/// MNIST digits and Fashion-MNIST (both 1x28x28, 10 classes); data/eval holds the trained
/// digit weights (data/eval/README.md says how they were made; gan_train_classifier trains
/// one for Fashion-MNIST).
///
///   x: [N, 1, 28, 28] in [0, 1] -> logits: [N, classes]; features(): [N, 128]
///   features ("0.*"), as nn.Sequential in PyTorch:
///     0 Conv2d(1 -> 32, k4 s2 p1)   28 -> 14, 1 ReLU,
///     2 Conv2d(32 -> 64, k4 s2 p1)  14 -> 7,  3 ReLU,
///     4 Conv2d(64 -> 64, k3 s2 p1)   7 -> 4,  5 ReLU, 6 Flatten (1024),
///     7 Dense(1024 -> 128), 8 ReLU                      <- the 128-d features
///   head ("1.*"): Dense(128 -> classes)                 <- logits
/// Parameter names are "0.0.weight" ... "0.7.bias", "1.weight", "1.bias": the keys of
///   nn.Sequential(nn.Sequential(conv, relu, ...), nn.Linear(128, classes)).state_dict().
/// 202,794 parameters for 10 classes: 811 KB as float safetensors.
///
/// forward(x) keeps the features and returns the logits (layer-owned, valid until the
/// next forward); backward(dlogits) returns dL/dx and adds into the parameter gradients,
/// as every layer does (gan/layers/layer.hpp). No BatchNorm and no dropout, so train and
/// eval modes compute the same function.
///
/// feature_scale(): the factor the metrics multiply features() by, 1 / RMS of the features
/// of the classifier's own training images (RMS over samples and the 128 dimensions), set
/// by gan_train_classifier. With it a real image's feature vector has mean square 1 per
/// dimension, whatever scale training left the ReLU features at, so FID reads in units of
/// that variance and KID's kernel (x . y / d + 1)^3 sees dot products of order 1, the
/// regime of the Inception features it was designed for.
///
/// save(path, metadata) writes the parameters, "gan.eval.architecture" = architecture,
/// "gan.eval.classes" and "gan.eval.feature_scale"; load(path) refuses a file of another
/// architecture, class count or parameter shape, or a bad feature scale, with a gan::Error
/// naming the file and the tensor, before changing any weight (a file without a feature
/// scale loads with 1).

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/io/safetensors.hpp"
#include "gan/layers/conv2d.hpp"
#include "gan/layers/dense.hpp"
#include "gan/layers/flatten.hpp"
#include "gan/layers/relu.hpp"
#include "gan/layers/sequential.hpp"

namespace gan::eval {

/// The name of the architecture above, as saved in a weights file's metadata.
inline constexpr const char* classifier_architecture = "gan-classifier28-v1";
inline constexpr index_t classifier_image_size = 28;
inline constexpr index_t classifier_feature_dim = 128;

namespace detail {
template <class T>
auto classifier_features_net() {
  return Sequential{Conv2d<T>(1, 32, 4, 2, 1),
                    ReLU<T>(),
                    Conv2d<T>(32, 64, 4, 2, 1),
                    ReLU<T>(),
                    Conv2d<T>(64, 64, 3, 2, 1),
                    ReLU<T>(),
                    Flatten<T>(),
                    Dense<T>(64 * 4 * 4, classifier_feature_dim),
                    ReLU<T>()};
}
}  // namespace detail

template <class T>
class Classifier {
 public:
  using value_type = T;

  /// A randomly initialised classifier (PyTorch's default init from gan::default_rng()).
  explicit Classifier(index_t classes = 10)
      : classes_(classes), head_(classifier_feature_dim, classes > 0 ? classes : 1) {
    if (classes < 2)
      throw Error("Classifier: needs at least 2 classes, got " + std::to_string(classes));
  }

  // The features pointer refers into this object's layers, so a copy or a move starts
  // without one (a forward sets it).
  Classifier(const Classifier& o)
      : classes_(o.classes_),
        feature_scale_(o.feature_scale_),
        features_(o.features_),
        head_(o.head_) {}
  Classifier(Classifier&& o)
      : classes_(o.classes_),
        feature_scale_(o.feature_scale_),
        features_(std::move(o.features_)),
        head_(std::move(o.head_)) {}
  Classifier& operator=(const Classifier&) = delete;
  Classifier& operator=(Classifier&&) = delete;

  /// The logits of x: [N, 1, 28, 28]; features() holds the penultimate activations.
  const Tensor<T>& forward(const Tensor<T>& x) {
    check_input(x.shape());
    features_out_ = &features_.forward(x);
    return head_.forward(*features_out_);
  }

  /// The [N, 128] features of the last forward (throws before the first).
  const Tensor<T>& features() const {
    if (!features_out_) throw Error(name() + ": features() called before forward");
    return *features_out_;
  }

  /// dL/dx for dL/dlogits; adds into the parameter gradients.
  const Tensor<T>& backward(const Tensor<T>& dlogits) {
    return features_.backward(head_.backward(dlogits));
  }

  Shape output_shape(const Shape& in) const {
    check_input(in);
    return head_.output_shape(features_.output_shape(in));
  }

  std::vector<Parameter<T>> parameters() {
    std::vector<Parameter<T>> out;
    for (auto& p : features_.parameters()) out.push_back({"0." + p.name, p.value, p.grad});
    for (auto& p : head_.parameters()) out.push_back({"1." + p.name, p.value, p.grad});
    return out;
  }
  std::vector<Buffer<T>> buffers() { return {}; }
  void zero_grad() noexcept {
    features_.zero_grad();
    head_.zero_grad();
  }
  void train(bool on = true) noexcept {
    features_.train(on);
    head_.train(on);
  }
  void eval() noexcept { train(false); }
  void set_requires_grad(bool on) noexcept {
    features_.set_requires_grad(on);
    head_.set_requires_grad(on);
  }

  index_t classes() const noexcept { return classes_; }
  double feature_scale() const noexcept { return feature_scale_; }
  /// Throws gan::Error unless scale is positive and finite.
  void set_feature_scale(double scale) {
    if (!(scale > 0 && std::isfinite(scale)))
      throw Error(name() + ": feature scale must be positive and finite, got " +
                  gan::detail::format_number(scale));
    feature_scale_ = scale;
  }
  std::string name() const {
    return std::string("Classifier(") + classifier_architecture + ", " + std::to_string(classes_) +
           " classes)";
  }

  /// Writes the weights and metadata (plus the architecture) as float safetensors.
  void save(const std::string& path, std::map<std::string, std::string> metadata = {}) {
    metadata["gan.eval.architecture"] = classifier_architecture;
    metadata["gan.eval.classes"] = std::to_string(classes_);
    char scale[32];
    std::snprintf(scale, sizeof scale, "%.17g", feature_scale_);
    metadata["gan.eval.feature_scale"] = scale;
    std::vector<std::pair<std::string, const Tensor<T>*>> tensors;
    for (auto& p : parameters()) tensors.emplace_back(p.name, &p.value);
    save_safetensors<T>(path, tensors, metadata);
  }

  /// Loads weights written by save(); returns the file's metadata. All or nothing.
  std::map<std::string, std::string> load(const std::string& path) {
    const SafetensorsFile f = load_safetensors(path);
    const auto& m = f.metadata();
    const auto arch = m.find("gan.eval.architecture");
    if (arch == m.end())
      throw Error("Classifier: '" + path +
                  "' is not a classifier weights file (no gan.eval.architecture metadata)");
    if (arch->second != classifier_architecture)
      throw Error("Classifier: '" + path + "' holds architecture '" + arch->second +
                  "', expected '" + classifier_architecture + "'");
    double scale = 1;
    const auto s = m.find("gan.eval.feature_scale");
    if (s != m.end()) {
      char* end = nullptr;
      scale = std::strtod(s->second.c_str(), &end);
      if (end == s->second.c_str() || *end != '\0' || !(scale > 0 && std::isfinite(scale)))
        throw Error("Classifier: '" + path + "': gan.eval.feature_scale is '" + s->second +
                    "', expected a positive number");
    }
    std::vector<std::pair<std::string, Tensor<T>*>> targets;
    for (auto& p : parameters()) targets.emplace_back(p.name, &p.value);
    try {
      load_into(f, targets);
    } catch (const Error& e) {
      throw Error(std::string("Classifier (") + std::to_string(classes_) +
                  " classes): wrong weights: " + e.what());
    }
    feature_scale_ = scale;
    return m;
  }

 private:
  void check_input(const Shape& in) const {
    const index_t s = classifier_image_size;
    if (in.rank() != 4 || in[0] < 1 || in[1] != 1 || in[2] != s || in[3] != s)
      throw input_error(name(), "[N >= 1, 1, 28, 28]", in);
  }

  index_t classes_;
  double feature_scale_ = 1;
  decltype(detail::classifier_features_net<T>()) features_ = detail::classifier_features_net<T>();
  Dense<T> head_;
  const Tensor<T>* features_out_ = nullptr;
};

}  // namespace gan::eval

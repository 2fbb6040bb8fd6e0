#pragma once
/// Training the evaluation classifier (classifier.hpp) on a labelled ImageSet, and its
/// accuracy on another. examples/gan_train_classifier.cpp is the command line around it;
/// data/eval/README.md records the runs that made the committed weights.
///
///   gan::manual_seed(seed);                         // the initial weights
///   gan::eval::Classifier<float> net;
///   auto [train, held_out] = gan::eval::split(digits, 8000);   // first 8000 / the rest
///   gan::eval::train_classifier(net, train, held_out, options, on_epoch);
///   double acc = gan::eval::accuracy(net, held_out);
///
/// Each epoch visits the training set in a data::EpochOrder (seeded by options.seed), in
/// batches of options.batch (the last partial batch is dropped), each image distorted by a
/// random affine map (rotation, scaling, shift; bilinear, zero fill: the affine part of
/// Simard, Steinkraus & Platt 2003's augmentation, without the elastic part), minimising
/// cross_entropy_loss with Adam. The learning rate follows a cosine from lr to
/// 0 over the run (Loshchilov & Hutter 2017, SGDR, one cycle without restarts).
/// Distortions come from a gan::Rng seeded by (seed, step), so a run is a function of its
/// options, the data and the thread count (the GEMM's blocking depends on the latter).
/// Images are in [0, 1] (data::Range::unit), as the classifier expects.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/rng.hpp"
#include "gan/data/epoch_order.hpp"
#include "gan/data/image_set.hpp"
#include "gan/eval/classifier.hpp"
#include "gan/layers/layer.hpp"
#include "gan/losses/cross_entropy.hpp"
#include "gan/optim/adam.hpp"

namespace gan::eval {

struct ClassifierTrainingOptions {
  index_t epochs = 30;
  index_t batch = 64;
  double lr = 1e-3;          ///< Adam's initial learning rate, decayed by a cosine to 0
  double max_shift = 2;      ///< random translation in pixels, in [-max_shift, max_shift]
  double max_rotation = 10;  ///< random rotation in degrees, in [-max_rotation, max_rotation]
  double max_scale = 0.1;    ///< random scaling by a factor in [1 - max_scale, 1 + max_scale]
  std::uint64_t seed = 0;    ///< of the batch order and the shifts
};

/// What one epoch did.
struct ClassifierEpoch {
  index_t epoch = 0;              ///< from 1
  double loss = 0;                ///< mean training loss over the epoch's batches
  double train_accuracy = 0;      ///< on the (shifted) training batches, as they were seen
  double held_out_accuracy = -1;  ///< -1 when there is no held-out set
};

/// Images [first, first + count) of a set, with their labels.
inline data::ImageSet slice(const data::ImageSet& set, index_t first, index_t count) {
  if (first < 0 || count < 0 || first + count > set.count)
    throw Error("eval::slice: images [" + std::to_string(first) + ", " +
                std::to_string(first + count) + ") outside " + set.describe());
  data::ImageSet out;
  out.count = count;
  out.channels = set.channels;
  out.height = set.height;
  out.width = set.width;
  const auto per = static_cast<std::size_t>(set.per_image());
  out.pixels.assign(set.pixels.begin() + static_cast<std::ptrdiff_t>(first * per),
                    set.pixels.begin() + static_cast<std::ptrdiff_t>((first + count) * per));
  if (set.labelled())
    out.labels.assign(set.labels.begin() + first, set.labels.begin() + first + count);
  out.class_names = set.class_names;
  out.source =
      set.source + " [" + std::to_string(first) + ", " + std::to_string(first + count) + ")";
  return out;
}

/// The first `first_count` images and the rest.
inline std::pair<data::ImageSet, data::ImageSet> split(const data::ImageSet& set,
                                                       index_t first_count) {
  if (first_count < 1 || first_count >= set.count)
    throw Error("eval::split: cannot split " + set.describe() + " after image " +
                std::to_string(first_count) + " (both parts must be non-empty)");
  return {slice(set, 0, first_count), slice(set, first_count, set.count - first_count)};
}

namespace detail {

inline void check_classifier_set(const data::ImageSet& set, index_t classes, const char* what) {
  if (set.count < 1) throw Error(std::string("train_classifier: the ") + what + " set is empty");
  if (set.channels != 1 || set.height != classifier_image_size ||
      set.width != classifier_image_size)
    throw Error(std::string("train_classifier: the ") + what + " set " + set.describe() +
                " does not hold 1x28x28 images");
  if (!set.labelled())
    throw Error(std::string("train_classifier: the ") + what + " set " + set.describe() +
                " has no labels");
  for (std::size_t i = 0; i < set.labels.size(); ++i)
    if (set.labels[i] < 0 || set.labels[i] >= classes)
      throw Error(std::string("train_classifier: the ") + what + " set's label " +
                  std::to_string(i) + " is " + std::to_string(set.labels[i]) +
                  ", expected a class in [0, " + std::to_string(classes) + ")");
}

/// A random affine distortion of one image: rotation by `degrees` and scaling by `scale`
/// about the centre, then a shift by (dy, dx) pixels. Inverse mapping with bilinear
/// sampling and zero fill: output pixel p reads the input at
///   c + R(-degrees) (p - c - (dy, dx)) / scale,  c = ((size - 1) / 2, (size - 1) / 2).
/// In place through `scratch` (size * size elements). Integer shifts with no rotation or
/// scaling move pixels exactly.
template <class T>
void affine_image(T* image, index_t size, double degrees, double scale, double dy, double dx,
                  T* scratch) noexcept {
  const double a = degrees * 3.14159265358979323846 / 180, c = 0.5 * static_cast<double>(size - 1);
  const double cs = std::cos(a) / scale, sn = std::sin(a) / scale;
  const auto at = [&](index_t y, index_t x) -> double {
    return y >= 0 && y < size && x >= 0 && x < size ? static_cast<double>(image[y * size + x])
                                                    : 0.0;
  };
  for (index_t y = 0; y < size; ++y)
    for (index_t x = 0; x < size; ++x) {
      const double u = static_cast<double>(y) - c - dy, v = static_cast<double>(x) - c - dx;
      const double sy = c + cs * u + sn * v, sx = c - sn * u + cs * v;
      const double fy = std::floor(sy), fx = std::floor(sx);
      const auto y0 = static_cast<index_t>(fy), x0 = static_cast<index_t>(fx);
      const double wy = sy - fy, wx = sx - fx;
      scratch[y * size + x] =
          static_cast<T>((1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x0 + 1)) +
                         wy * ((1 - wx) * at(y0 + 1, x0) + wx * at(y0 + 1, x0 + 1)));
    }
  for (index_t p = 0; p < size * size; ++p) image[p] = scratch[p];
}

template <class T>
index_t argmax_row(const T* row, index_t n) noexcept {
  index_t best = 0;
  for (index_t j = 1; j < n; ++j)
    if (row[j] > row[best]) best = j;
  return best;
}

}  // namespace detail

/// Share of `set`'s images whose argmax logit is their label, in batches of `batch`.
template <class T>
double accuracy(Classifier<T>& net, const data::ImageSet& set, index_t batch = 500) {
  detail::check_classifier_set(set, net.classes(), "evaluated");
  if (batch < 1) throw Error("eval::accuracy: batch must be >= 1, got " + std::to_string(batch));
  Tensor<T> images;
  std::vector<index_t> indices;
  index_t correct = 0;
  for (index_t first = 0; first < set.count; first += batch) {
    const index_t n = std::min(batch, set.count - first);
    indices.resize(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) indices[static_cast<std::size_t>(i)] = first + i;
    images.resize({n, 1, classifier_image_size, classifier_image_size});
    data::copy_batch(set, indices.data(), data::Range::unit, images);
    const Tensor<T>& logits = net.forward(images);
    for (index_t i = 0; i < n; ++i)
      if (detail::argmax_row(logits.data() + i * net.classes(), net.classes()) ==
          set.labels[static_cast<std::size_t>(first + i)])
        ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(set.count);
}

/// The RMS of net's features over `set` (mean over images and dimensions of f^2, rooted):
/// gan_train_classifier sets feature_scale = 1 / feature_rms(training images).
template <class T>
double feature_rms(Classifier<T>& net, const data::ImageSet& set, index_t batch = 500) {
  if (set.count < 1 || set.channels != 1 || set.height != classifier_image_size ||
      set.width != classifier_image_size)
    throw Error("eval::feature_rms: expected a non-empty set of 1x28x28 images, got " +
                set.describe());
  Tensor<T> images;
  std::vector<index_t> indices;
  double sum = 0;
  for (index_t first = 0; first < set.count; first += batch) {
    const index_t n = std::min(batch, set.count - first);
    indices.resize(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) indices[static_cast<std::size_t>(i)] = first + i;
    images.resize({n, 1, classifier_image_size, classifier_image_size});
    data::copy_batch(set, indices.data(), data::Range::unit, images);
    net.forward(images);
    for (const T v : net.features()) sum += static_cast<double>(v) * static_cast<double>(v);
  }
  return std::sqrt(sum / static_cast<double>(set.count * classifier_feature_dim));
}

/// Trains `net` on `train`; after each epoch reports to on_epoch (if given), with the
/// accuracy on `held_out` when that set is not empty.
template <class T>
void train_classifier(Classifier<T>& net, const data::ImageSet& train,
                      const data::ImageSet& held_out, const ClassifierTrainingOptions& o,
                      const std::function<void(const ClassifierEpoch&)>& on_epoch = {}) {
  detail::check_classifier_set(train, net.classes(), "training");
  if (held_out.count > 0) detail::check_classifier_set(held_out, net.classes(), "held-out");
  if (o.epochs < 1 || o.batch < 1 || !(o.lr > 0) || !(o.max_shift >= 0 && o.max_shift < 14) ||
      !(o.max_rotation >= 0 && o.max_rotation <= 180) || !(o.max_scale >= 0 && o.max_scale < 1))
    throw Error(
        "train_classifier: needs epochs >= 1, batch >= 1, lr > 0, 0 <= max_shift < 14, "
        "0 <= max_rotation <= 180 and 0 <= max_scale < 1; got epochs " +
        std::to_string(o.epochs) + ", batch " + std::to_string(o.batch) + ", lr " +
        gan::detail::format_number(o.lr) + ", max_shift " +
        gan::detail::format_number(o.max_shift) + ", max_rotation " +
        gan::detail::format_number(o.max_rotation) + ", max_scale " +
        gan::detail::format_number(o.max_scale));
  const bool augment = o.max_shift > 0 || o.max_rotation > 0 || o.max_scale > 0;
  data::EpochOrder order(train.count, o.batch, o.seed);
  Adam<T> adam(net.parameters(), AdamOptions{o.lr});
  const index_t size = classifier_image_size, classes = net.classes();
  Tensor<T> images({o.batch, 1, size, size}), grad, scratch({size * size});
  std::vector<int> labels(static_cast<std::size_t>(o.batch));
  const std::int64_t per_epoch = order.steps_per_epoch();
  const double total_steps = static_cast<double>(per_epoch * o.epochs);
  const double pi = 3.14159265358979323846;
  net.train();
  for (index_t epoch = 0; epoch < o.epochs; ++epoch) {
    ClassifierEpoch report;
    report.epoch = epoch + 1;
    index_t correct = 0;
    for (std::int64_t s = 0; s < per_epoch; ++s) {
      const std::int64_t step = epoch * per_epoch + s;
      adam.set_lr(o.lr * 0.5 * (1 + std::cos(pi * static_cast<double>(step) / total_steps)));
      const index_t* indices = order.batch(step);
      data::copy_batch(train, indices, data::Range::unit, images);
      Rng rng(o.seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(step) + 1);
      for (index_t i = 0; i < o.batch; ++i) {
        labels[static_cast<std::size_t>(i)] = train.labels[static_cast<std::size_t>(indices[i])];
        if (!augment) continue;
        const double degrees = rng.uniform(-o.max_rotation, o.max_rotation);
        const double scale = rng.uniform(1 - o.max_scale, 1 + o.max_scale);
        const double dy = rng.uniform(-o.max_shift, o.max_shift);
        const double dx = rng.uniform(-o.max_shift, o.max_shift);
        detail::affine_image(images.data() + i * size * size, size, degrees, scale, dy, dx,
                             scratch.data());
      }
      net.zero_grad();
      const Tensor<T>& logits = net.forward(images);
      for (index_t i = 0; i < o.batch; ++i)
        if (detail::argmax_row(logits.data() + i * classes, classes) ==
            labels[static_cast<std::size_t>(i)])
          ++correct;
      report.loss += static_cast<double>(cross_entropy_loss(logits, labels, grad));
      net.backward(grad);
      adam.step();
    }
    report.loss /= static_cast<double>(per_epoch);
    report.train_accuracy = static_cast<double>(correct) / static_cast<double>(per_epoch * o.batch);
    if (held_out.count > 0) {
      net.eval();
      report.held_out_accuracy = accuracy(net, held_out);
      net.train();
    }
    if (on_epoch) on_epoch(report);
  }
  net.eval();
}

}  // namespace gan::eval

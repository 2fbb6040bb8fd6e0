#pragma once
/// RunEvaluation: the sample-quality scores a training run logs as it goes (docs/eval.md).
///
/// Every options.eval_every steps (-1: at every sample grid) the run's sampling generator
/// (the EMA shadow when there is one) draws options.eval_samples images from a fixed noise
/// (the same at every evaluation, so successive scores differ by the model alone), in eval
/// mode, and the Evaluator (eval/evaluator.hpp) scores them against the run's own training
/// images, beside the real-vs-real floor at the same N. Conditional models are asked for
/// class i mod C, and the classifier's agreement with the asked-for label is scored too.
///
/// The evaluation classifier reads 1x28x28 grey images (data/eval/README.md): a run of
/// another image shape, or one without classifier weights, is not evaluated, and
/// reason() says why. It knows digits: on other 28x28 data (Fashion-MNIST) its FID is
/// still a distance in its feature space, but label agreement is scored only for a
/// generator of the classifier's class count. Buffers are sized at the first evaluation.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gan/eval/evaluator.hpp"
#include "gan/models/network.hpp"
#include "gan/models/registry.hpp"
#include "gan/run/run_options.hpp"
#include "gan/run/sampling.hpp"

namespace gan::run {

class RunEvaluation {
 public:
  RunEvaluation() = default;

  /// Loads the classifier and scores the real set's floor, or stays inactive (reason()).
  RunEvaluation(const RunOptions& o, const models::ModelSpec& spec, const data::ImageSet& real)
      : every_(o.eval_every < 0 ? o.sample_every : o.eval_every),
        samples_(o.eval_samples),
        seed_(o.seed) {
    if (every_ == 0) {
      reason_ = "off (--eval-every 0)";
      return;
    }
    if (o.eval_weights.empty()) {
      reason_ = "off (no classifier weights)";
      return;
    }
    if (spec.channels != 1 || spec.image_size != 28) {
      reason_ =
          "skipped: the evaluation classifier reads 1x28x28 grey images, this "
          "run makes " +
          std::to_string(spec.channels) + "x" + std::to_string(spec.image_size) + "x" +
          std::to_string(spec.image_size);
      return;
    }
    // The reference and the floor pool are disjoint halves of the real set (at most 5000
    // each): a small set scores fewer samples, a tiny one none.
    samples_ = std::min<index_t>(samples_, real.count / 2);
    if (samples_ < 20) {
      reason_ = "skipped: '" + real.source + "' has too few images for a floor";
      return;
    }
    eval::EvaluatorOptions eo;
    eo.seed = o.seed;
    evaluator_ = std::make_unique<eval::Evaluator>(o.eval_weights, real, eo);
    samples_ = std::min(samples_, evaluator_->max_samples());
    evaluator_->floor(samples_);
  }

  bool active() const noexcept { return evaluator_ != nullptr; }
  /// Why the run is not evaluated (empty when it is).
  const std::string& reason() const noexcept { return reason_; }
  bool due(std::int64_t step) const noexcept { return active() && step % every_ == 0; }
  std::int64_t every() const noexcept { return every_; }
  index_t samples() const noexcept { return samples_; }
  /// The real-vs-real FID at this run's N.
  double fid_floor() { return evaluator_->floor(samples_).fid; }

  /// Draws the samples from g (left in training mode) and scores them.
  eval::Scores score(AnyGenerator<float>& g, data::Range range, index_t chunk) {
    if (z_.size() == 0) {
      Rng rng(seed_ + 54321);
      g.sample_noise(z_, samples_, rng);
      for (index_t i = 0; i < samples_ && g.classes() > 0; ++i)
        labels_.push_back(static_cast<int>(i % g.classes()));
      // The asked-for labels are scored only when they are the classifier's classes.
      agreement_ = g.classes() == evaluator_->classifier().classes();
    }
    g.eval();
    generate(g, z_, labels_, chunk, images_);
    g.train();
    to_unit(images_, range);
    // A Sigmoid's output is in (0, 1) already; Tanh's mapped one may round a hair outside.
    for (float& v : images_) v = std::clamp(v, 0.0f, 1.0f);
    return agreement_ ? evaluator_->score(images_, labels_) : evaluator_->score(images_);
  }

  /// The columns of eval.csv after "step", and a score's values in that order.
  static std::vector<std::string> columns() {
    return {"fid",           "fid_floor",       "kid",
            "kid_floor",     "precision",       "precision_floor",
            "recall",        "recall_floor",    "coverage",
            "class_entropy", "confident_share", "label_agreement",
            "milliseconds"};
  }
  static std::map<std::string, double> metrics(const eval::Scores& s) {
    std::map<std::string, double> m = {{"fid", s.fid},
                                       {"fid_floor", s.fid_floor},
                                       {"kid", s.kid},
                                       {"kid_floor", s.kid_floor},
                                       {"precision", s.precision},
                                       {"precision_floor", s.precision_floor},
                                       {"recall", s.recall},
                                       {"recall_floor", s.recall_floor},
                                       {"coverage", static_cast<double>(s.coverage)},
                                       {"class_entropy", s.class_entropy},
                                       {"confident_share", s.confident_share},
                                       {"milliseconds", s.milliseconds}};
    if (s.label_agreement >= 0) m["label_agreement"] = s.label_agreement;
    return m;
  }

 private:
  std::int64_t every_ = 0;
  index_t samples_ = 0;
  std::uint64_t seed_ = 0;
  std::string reason_;
  std::unique_ptr<eval::Evaluator> evaluator_;
  Tensor<float> z_, images_;
  std::vector<int> labels_;
  bool agreement_ = false;
};

}  // namespace gan::run

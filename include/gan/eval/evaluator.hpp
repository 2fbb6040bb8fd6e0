#pragma once
/// Evaluator: scores batches of generated images against real ones with the classifier's
/// features (classifier.hpp): FID, KID, precision/recall and class statistics, each
/// beside its real-vs-real floor (scores.hpp). Cheap enough to call during training.
///
///   gan::data::ImageSet real = gan::data::load_idx_dataset("data/mnist");
///   gan::eval::Evaluator ev("data/eval/digit_classifier.safetensors", real);
///   gan::eval::Scores s = ev.score(images);            // images [N, 1, 28, 28] in [0, 1]
///   gan::eval::Scores c = ev.score(images, labels);    // + label agreement (conditional)
///
/// The real set is shuffled once (gan::Rng(options.seed)) and cut into two DISJOINT parts:
///   reference  options.reference_size images (0: min(5000, count / 2)), the set every
///              batch is compared with;
///   floor pool options.pool_size images (0: min(5000, the rest)), whose first N stand in
///              for a perfect generator: the floor at N is the same measure between those
///              N real images and the reference, so it shares the reference and N with the
///              generated figure and the two read as a ratio.
/// Construction runs the classifier over both parts once and precomputes the reference's
/// statistics (Gaussian and covariance square root, KID kernel sum, k-NN radii). A score
/// then costs one classifier pass over the N images, an N x d covariance, an N x N and an
/// N x reference pass of products (fused for KID and precision/recall), and a d x d
/// eigen-decomposition; the floor at a new N is computed once and cached.
/// N must lie in [k + 1, pool size] (k = options.k, the precision/recall neighbours).
///
/// Buffers (the image chunk, features, logits, the product blocks) are members sized at
/// the first score of a given N and reused by later ones (the eigen-solvers of FID still
/// take their own d x d scratch). Results are a function of the weights, the real set,
/// the options and the images: the classifier's and the metrics' GEMMs give the same bits
/// at any thread count.
/// Bad input (images not [N, 1, 28, 28], values outside [0, 1] or not finite, N outside
/// [k + 1, pool size], labels of another count or outside [0, C), a real set of another
/// image shape or too small, weights of the wrong shapes) throws gan::Error saying so.

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/data/image_set.hpp"
#include "gan/eval/class_stats.hpp"
#include "gan/eval/classifier.hpp"
#include "gan/eval/fid.hpp"
#include "gan/eval/kid.hpp"
#include "gan/eval/precision_recall.hpp"
#include "gan/eval/scores.hpp"

namespace gan::eval {

struct EvaluatorOptions {
  index_t reference_size = 0;  ///< 0: min(5000, count / 2)
  index_t pool_size = 0;       ///< 0: min(5000, count - reference_size)
  std::uint64_t seed = 0;      ///< of the split of the real set
  index_t batch = 100;         ///< images per classifier forward (the features do not depend on it)
  index_t k = 3;               ///< precision/recall neighbours (Kynkäänniemi et al.: 3)
  ClassStatsOptions classes;
};

class Evaluator {
 public:
  /// Loads the classifier weights from `weights` (Classifier::load). Class names come from
  /// the weights' "gan.eval.class_names" (a JSON list) when it has them, else the real set's.
  Evaluator(const std::string& weights, const data::ImageSet& real,
            const EvaluatorOptions& options = {})
      : Evaluator(load_classifier(weights), real, options) {}

  /// With a classifier in hand (trained or loaded by the caller); class_names, if given,
  /// name its classes (else the real set's names, else the numbers).
  Evaluator(Classifier<float> classifier, const data::ImageSet& real,
            const EvaluatorOptions& options = {}, std::vector<std::string> class_names = {})
      : net_(std::move(classifier)), options_(options), class_names_(std::move(class_names)) {
    init(real);
  }

  /// Scores images [N, 1, 28, 28] in [0, 1]; labels: the asked-for classes, or empty.
  Scores score(const Tensor<float>& images, const std::vector<int>& labels = {}) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    check_images(images);
    const index_t n = images.dim(0);
    if (!labels.empty() && static_cast<index_t>(labels.size()) != n)
      throw Error("Evaluator: " + std::to_string(n) + " images but " +
                  std::to_string(labels.size()) + " labels");
    const auto floor_start = Clock::now();
    const Floor& fl = floor(n);
    const auto floor_time = Clock::now() - floor_start;
    run_classifier(images.data(), n);
    Scores s;
    s.samples = n;
    s.reference = reference_.features().rows();
    const Measures m = measure(features_);
    s.fid = m.fid;
    s.kid = m.kid;
    s.precision = m.pr.precision;
    s.recall = m.pr.recall;
    const ClassStats cs = class_stats(logits_, labels, options_.classes);
    s.classes = cs.classes;
    s.coverage = cs.coverage;
    s.class_entropy = cs.entropy;
    s.mean_confidence = cs.mean_confidence;
    s.confident_share = cs.confident_share;
    s.label_agreement = cs.label_agreement;
    s.class_shares = cs.shares;
    s.class_names = class_names_;
    s.fid_floor = fl.fid;
    s.kid_floor = fl.kid;
    s.precision_floor = fl.precision;
    s.recall_floor = fl.recall;
    s.coverage_floor = fl.classes.coverage;
    s.class_entropy_floor = fl.classes.entropy;
    s.mean_confidence_floor = fl.classes.mean_confidence;
    s.confident_share_floor = fl.classes.confident_share;
    s.milliseconds =
        std::chrono::duration<double, std::milli>(Clock::now() - start - floor_time).count();
    return s;
  }

  /// The real-vs-real measures at N = n: the first n images of the floor pool against the
  /// reference (disjoint sets), computed once per n.
  const Floor& floor(index_t n) {
    check_count(n);
    const auto it = floors_.find(n);
    if (it != floors_.end()) return it->second;
    const Features real = pool_features_.topRows(n);
    const Measures m = measure(real);
    Floor f;
    f.samples = n;
    f.fid = m.fid;
    f.kid = m.kid;
    f.precision = m.pr.precision;
    f.recall = m.pr.recall;
    Tensor<float> logits({n, net_.classes()});
    std::copy_n(pool_logits_.data(), n * net_.classes(), logits.data());
    f.classes = class_stats(logits, {}, options_.classes);
    return floors_.emplace(n, std::move(f)).first->second;
  }

  /// The [N, 128] features of images [N, 1, 28, 28] in [0, 1], times the classifier's
  /// feature_scale (valid until the next call).
  const Features& features(const Tensor<float>& images) {
    check_images(images);
    run_classifier(images.data(), images.dim(0));
    return features_;
  }

  index_t min_samples() const noexcept { return std::max<index_t>(2, options_.k + 1); }
  /// The most images one score takes: the floor pool's size.
  index_t max_samples() const noexcept { return pool_features_.rows(); }
  index_t reference_size() const noexcept { return reference_.features().rows(); }
  /// Which images of the real set form the reference and the floor pool (disjoint).
  const std::vector<index_t>& reference_indices() const noexcept { return reference_indices_; }
  const std::vector<index_t>& pool_indices() const noexcept { return pool_indices_; }
  const std::vector<std::string>& class_names() const noexcept { return class_names_; }
  Classifier<float>& classifier() noexcept { return net_; }
  const EvaluatorOptions& options() const noexcept { return options_; }

 private:
  struct Measures {
    double fid = 0, kid = 0;
    PrecisionRecall pr;
  };

  struct Loaded {
    Classifier<float> net;
    std::vector<std::string> names;
  };

  Evaluator(Loaded loaded, const data::ImageSet& real, const EvaluatorOptions& options)
      : Evaluator(std::move(loaded.net), real, options, std::move(loaded.names)) {}

  static Loaded load_classifier(const std::string& weights) {
    Loaded l;
    const auto meta = l.net.load(weights);
    const auto it = meta.find("gan.eval.class_names");
    if (it == meta.end()) return l;
    nlohmann::json names = nlohmann::json::parse(it->second, nullptr, false);
    if (!names.is_array() || static_cast<index_t>(names.size()) != l.net.classes())
      throw Error("Evaluator: '" + weights + "': gan.eval.class_names is not a list of " +
                  std::to_string(l.net.classes()) + " names");
    for (const auto& n : names) {
      if (!n.is_string())
        throw Error("Evaluator: '" + weights + "': gan.eval.class_names holds a non-string");
      l.names.push_back(n.get<std::string>());
    }
    return l;
  }

  void init(const data::ImageSet& real) {
    const index_t s = classifier_image_size;
    if (real.channels != 1 || real.height != s || real.width != s)
      throw Error("Evaluator: the real set " + real.describe() +
                  " does not hold 1x28x28 images, which the classifier reads");
    if (options_.batch < 1 || options_.k < 1)
      throw Error("Evaluator: batch and k must be >= 1, got batch " +
                  std::to_string(options_.batch) + ", k " + std::to_string(options_.k));
    index_t ref = options_.reference_size > 0 ? options_.reference_size
                                              : std::min<index_t>(5000, real.count / 2);
    index_t pool =
        options_.pool_size > 0 ? options_.pool_size : std::min<index_t>(5000, real.count - ref);
    const index_t need = min_samples();
    if (ref < need || pool < need || ref + pool > real.count)
      throw Error("Evaluator: the real set " + real.describe() + " cannot be split into a " +
                  "reference of " + std::to_string(ref) + " and a floor pool of " +
                  std::to_string(pool) + " disjoint images (each needs >= " + std::to_string(need) +
                  ", together <= " + std::to_string(real.count) + ")");
    if (!class_names_.empty() && static_cast<index_t>(class_names_.size()) != net_.classes())
      throw Error("Evaluator: " + std::to_string(class_names_.size()) + " class names for " +
                  std::to_string(net_.classes()) + " classes");
    for (index_t c = static_cast<index_t>(class_names_.size()); c < net_.classes(); ++c)
      class_names_.push_back(c < real.classes() ? real.class_names[static_cast<std::size_t>(c)]
                                                : std::to_string(c));
    // A seeded Fisher-Yates shuffle (Knuth, TAOCP vol. 2, Algorithm 3.4.2P) of the set.
    std::vector<index_t> order(static_cast<std::size_t>(real.count));
    for (index_t i = 0; i < real.count; ++i) order[static_cast<std::size_t>(i)] = i;
    Rng rng(options_.seed);
    for (index_t i = real.count - 1; i > 0; --i)
      std::swap(order[static_cast<std::size_t>(i)],
                order[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i + 1)))]);
    reference_indices_.assign(order.begin(), order.begin() + ref);
    pool_indices_.assign(order.begin() + ref, order.begin() + ref + pool);
    net_.eval();
    Features ref_features = real_features(real, order.data(), ref);
    pool_features_ = real_features(real, order.data() + ref, pool);
    pool_logits_ = logits_;
    GramWorkspace w;
    frechet_ = FrechetReference(fit_gaussian(ref_features));
    manifold_ = KnnManifold(ref_features, options_.k, w);
    reference_ = KidReference(std::move(ref_features));
  }

  // Features (and logits_) of `count` images of the set at `indices`.
  Features real_features(const data::ImageSet& real, const index_t* indices, index_t count) {
    Tensor<float> images({count, 1, classifier_image_size, classifier_image_size});
    data::copy_batch(real, indices, data::Range::unit, images);
    run_classifier(images.data(), count);
    return features_;
  }

  void check_count(index_t n) const {
    if (n < min_samples() || n > max_samples())
      throw Error("Evaluator: cannot score " + std::to_string(n) + " images: needs between " +
                  std::to_string(min_samples()) + " (k = " + std::to_string(options_.k) +
                  " neighbours) and " + std::to_string(max_samples()) +
                  " (the real images held out for the floor)");
  }

  void check_images(const Tensor<float>& images) const {
    const index_t s = classifier_image_size;
    if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != s || images.dim(3) != s)
      throw Error("Evaluator: expected images [N, 1, 28, 28] in [0, 1], got " +
                  images.shape().str());
    check_count(images.dim(0));
    for (index_t i = 0; i < images.size(); ++i) {
      const float v = images[i];
      // A little slack for images that were rounded or resampled.
      if (!(v >= -1e-3f && v <= 1.001f))
        throw Error("Evaluator: pixel " + std::to_string(i) + " is " + std::to_string(v) +
                    "; expected values in [0, 1] (map a Tanh generator's [-1, 1] images with "
                    "(x + 1) / 2)");
    }
  }

  // features_ [n, 128] and logits_ [n, C] of n images at `pixels`, in chunks of batch.
  void run_classifier(const float* pixels, index_t n) {
    const index_t per = classifier_image_size * classifier_image_size, c = net_.classes();
    if (features_.rows() != n) features_.resize(n, classifier_feature_dim);
    logits_.resize({n, c});
    for (index_t first = 0; first < n; first += options_.batch) {
      const index_t rows = std::min(options_.batch, n - first);
      chunk_.resize({rows, 1, classifier_image_size, classifier_image_size});
      std::copy_n(pixels + first * per, rows * per, chunk_.data());
      const Tensor<float>& logits = net_.forward(chunk_);
      const Tensor<float>& f = net_.features();
      const double scale = net_.feature_scale();
      for (index_t i = 0; i < rows * classifier_feature_dim; ++i)
        features_.data()[first * classifier_feature_dim + i] = scale * static_cast<double>(f[i]);
      std::copy_n(logits.data(), rows * c, logits_.data() + first * c);
    }
  }

  // FID, KID and precision/recall of features g against the reference: two passes of
  // products, g x g (KID's kernel sum and g's k-NN radii) and g x reference (KID's cross
  // sum and both manifolds' hits).
  Measures measure(const Features& g) {
    Measures m;
    fit_gaussian(g, gaussian_, gaussian_work_);
    m.fid = frechet_.distance(gaussian_, gaussian_work_);
    const double inv_d = 1.0 / static_cast<double>(g.cols());
    norms_ = g.rowwise().squaredNorm();
    detail::KernelSums gg, gr;
    knn_.reset(g.rows(), options_.k);
    for_each_gram_block(g, g, gram_, [&](index_t first, index_t rows, const double* b) {
      gg.add(first, rows, g.rows(), b, inv_d, true);
      knn_.add(first, rows, b, norms_);
    });
    knn_.radii(radii_);
    const Features& r = manifold_.points();
    hits_.reset(g.rows(), r.rows());
    for_each_gram_block(g, r, gram_, [&](index_t first, index_t rows, const double* b) {
      gr.add(first, rows, r.rows(), b, inv_d, false);
      hits_.add(first, rows, b, norms_, radii_, manifold_.squared_norms(),
                manifold_.squared_radii());
    });
    m.kid = reference_.mmd2_unbiased(gg, g.rows(), gr);
    m.pr = {detail::share(hits_.generated_inside), detail::share(hits_.real_inside)};
    return m;
  }

  Classifier<float> net_;
  EvaluatorOptions options_;
  std::vector<std::string> class_names_;
  std::vector<index_t> reference_indices_, pool_indices_;
  FrechetReference frechet_;
  KidReference reference_;
  KnnManifold manifold_;
  Features pool_features_, features_;
  Tensor<float> pool_logits_, logits_, chunk_;
  // Scratch of measure(), reused while N repeats.
  GramWorkspace gram_;
  Gaussian gaussian_;
  GaussianWorkspace gaussian_work_;
  Eigen::VectorXd norms_, radii_;
  detail::KnnRadii knn_;
  detail::ManifoldHits hits_;
  std::map<index_t, Floor> floors_;
};

}  // namespace gan::eval

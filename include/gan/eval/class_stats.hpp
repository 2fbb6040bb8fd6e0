#pragma once
/// Class statistics of generated images, from a classifier's logits: does a generator
/// make every class (mode collapse shows here first), in fair shares, recognisably?
///
///   logits: [N, C] (any float type), labels: N asked-for classes or empty -> ClassStats
///   p_n = softmax(logits_n) (stable: shifted by the row's maximum), in double
///   class_n      = argmax_c p_nc,  confidence_n = max_c p_nc
///   shares[c]    = #{n : class_n = c} / N                 (sum to 1)
///   coverage     = #{c : shares[c] >= min_share_of_uniform / C}: classes present in at
///                  least a fraction min_share_of_uniform of their fair share (default
///                  0.2: 2 % of the samples for 10 classes, so that a few stray
///                  misclassified samples do not make a collapsed class "present")
///   entropy      = -sum_c shares[c] ln shares[c], in nats (ln C = 2.303 for 10 uniform
///                  classes; the entropy of the marginal class distribution, the second
///                  term of the Inception Score's log, Salimans et al. 2016)
///   mean_confidence = mean_n confidence_n
///   confident_share = #{n : confidence_n >= confidence_threshold} / N (default 0.9)
///   label_agreement = #{n : class_n = labels_n} / N for a conditional model (labels
///                  given), else -1
/// Ties in the argmax go to the lowest class. Bad input (logits not [N >= 1, C >= 2],
/// a label count other than N, a label outside [0, C), a non-finite logit) throws gan::Error.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/tensor.hpp"

namespace gan::eval {

struct ClassStatsOptions {
  double min_share_of_uniform = 0.2;
  double confidence_threshold = 0.9;
};

struct ClassStats {
  index_t count = 0;    ///< N
  index_t classes = 0;  ///< C
  index_t coverage = 0;
  double entropy = 0;
  double mean_confidence = 0;
  double confident_share = 0;
  double label_agreement = -1;  ///< -1: no labels were given
  std::vector<double> shares;   ///< [C]
};

/// Class statistics of logits [N, C], with the asked-for labels if any.
template <class T>
ClassStats class_stats(const Tensor<T>& logits, const std::vector<int>& labels = {},
                       const ClassStatsOptions& o = {}) {
  if (logits.rank() != 2 || logits.dim(0) < 1 || logits.dim(1) < 2)
    throw Error("class_stats: expected logits [N >= 1, C >= 2], got " + logits.shape().str());
  const index_t n = logits.dim(0), c = logits.dim(1);
  if (!labels.empty() && static_cast<index_t>(labels.size()) != n)
    throw Error("class_stats: " + std::to_string(n) + " samples but " +
                std::to_string(labels.size()) + " labels");
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= c)
      throw Error("class_stats: label " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                  ", expected a class in [0, " + std::to_string(c) + ")");
  ClassStats s;
  s.count = n;
  s.classes = c;
  std::vector<index_t> counts(static_cast<std::size_t>(c), 0);
  index_t confident = 0, agree = 0;
  double confidence_sum = 0;
  for (index_t i = 0; i < n; ++i) {
    const T* row = logits.data() + i * c;
    index_t best = 0;
    for (index_t j = 0; j < c; ++j) {
      if (!std::isfinite(static_cast<double>(row[j])))
        throw Error("class_stats: logit [" + std::to_string(i) + ", " + std::to_string(j) +
                    "] is not finite");
      if (row[j] > row[best]) best = j;
    }
    // max p = 1 / sum_c exp(x_c - x_max).
    double sum = 0;
    for (index_t j = 0; j < c; ++j)
      sum += std::exp(static_cast<double>(row[j]) - static_cast<double>(row[best]));
    const double confidence = 1.0 / sum;
    confidence_sum += confidence;
    if (confidence >= o.confidence_threshold) ++confident;
    ++counts[static_cast<std::size_t>(best)];
    if (!labels.empty() && labels[static_cast<std::size_t>(i)] == best) ++agree;
  }
  const auto nd = static_cast<double>(n);
  s.shares.resize(static_cast<std::size_t>(c));
  for (index_t j = 0; j < c; ++j) {
    const double p = static_cast<double>(counts[static_cast<std::size_t>(j)]) / nd;
    s.shares[static_cast<std::size_t>(j)] = p;
    if (p > 0) s.entropy -= p * std::log(p);
    if (p > 0 && p >= o.min_share_of_uniform / static_cast<double>(c)) ++s.coverage;
  }
  s.mean_confidence = confidence_sum / nd;
  s.confident_share = static_cast<double>(confident) / nd;
  if (!labels.empty()) s.label_agreement = static_cast<double>(agree) / nd;
  return s;
}

}  // namespace gan::eval

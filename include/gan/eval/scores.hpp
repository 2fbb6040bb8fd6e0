#pragma once
/// Scores: what the Evaluator (evaluator.hpp) says about a batch of images, beside the
/// same measures between two disjoint sets of real images of the same size (the floor),
/// and its two readable forms: a table and JSON.
///
///   Scores s = evaluator.score(images);
///   std::fputs(s.table().c_str(), stdout);
///   nlohmann::json j = s;          // to_json below: {"samples": 2000, "fid": 12.3, ...}
///
/// Every figure from one evaluation is reported with its floor ("fid" and "fid_floor"):
/// FID is biased by the sample size, so a figure is read as "k x real-vs-real" at the
/// same N, and two FIDs are comparable only at equal N (docs/eval.md). KID is unbiased,
/// so its floor is ~0 (and may be negative). Precision and recall of real images are not
/// 1: the k-NN balls of finite sets miss part of the manifold.

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gan/eval/class_stats.hpp"

namespace gan::eval {

/// The measures between two disjoint real sets, at one sample count.
struct Floor {
  index_t samples = 0;
  double fid = 0, kid = 0, precision = 0, recall = 0;
  ClassStats classes;  ///< of the real samples (their confidence, entropy, coverage)
};

struct Scores {
  index_t samples = 0;    ///< N scored
  index_t reference = 0;  ///< real images they were compared with
  double fid = 0, fid_floor = 0;
  double kid = 0, kid_floor = 0;
  double precision = 0, precision_floor = 0;
  double recall = 0, recall_floor = 0;
  index_t classes = 0;   ///< C of the classifier
  index_t coverage = 0;  ///< classes present (class_stats.hpp)
  index_t coverage_floor = 0;
  double class_entropy = 0, class_entropy_floor = 0;  ///< nats; ln C is the maximum
  double mean_confidence = 0, mean_confidence_floor = 0;
  double confident_share = 0, confident_share_floor = 0;
  double label_agreement = -1;       ///< -1: no asked-for labels were given
  std::vector<double> class_shares;  ///< [C], of the scored images
  std::vector<std::string> class_names;
  double milliseconds = 0;  ///< wall time of the score, without the floor at a new N

  /// fid / fid_floor ("k x real-vs-real"); 0 when the floor is not positive.
  double fid_ratio() const noexcept { return fid_floor > 0 ? fid / fid_floor : 0; }

  /// A table, one measure per line: value, real-vs-real floor, and the ratio for FID/KID.
  std::string table() const {
    std::string out;
    char line[160];
    const auto row = [&](const char* name, double v, double floor, const char* fmt, bool ratio) {
      char a[32], b[32];
      std::snprintf(a, sizeof a, fmt, v);
      std::snprintf(b, sizeof b, fmt, floor);
      std::string r;
      if (ratio && floor > 0) {
        char c[32];
        std::snprintf(c, sizeof c, "%.1f x", v / floor);
        r = c;
      } else if (ratio) {
        r = "-";
      }
      std::snprintf(line, sizeof line, "%-18s %12s %14s %10s\n", name, a, b, r.c_str());
      out += line;
    };
    std::snprintf(line, sizeof line,
                  "%lld samples against %lld real images; floor: %lld other real images\n",
                  static_cast<long long>(samples), static_cast<long long>(reference),
                  static_cast<long long>(samples));
    out += line;
    std::snprintf(line, sizeof line, "%-18s %12s %14s %10s\n", "measure", "value", "real-vs-real",
                  "ratio");
    out += line;
    row("FID", fid, fid_floor, "%.3f", true);
    row("KID", kid, kid_floor, "%.5f", true);
    row("precision", precision, precision_floor, "%.3f", false);
    row("recall", recall, recall_floor, "%.3f", false);
    char a[32], b[32];
    std::snprintf(a, sizeof a, "%lld / %lld", static_cast<long long>(coverage),
                  static_cast<long long>(classes));
    std::snprintf(b, sizeof b, "%lld / %lld", static_cast<long long>(coverage_floor),
                  static_cast<long long>(classes));
    std::snprintf(line, sizeof line, "%-18s %12s %14s\n", "classes present", a, b);
    out += line;
    row("class entropy", class_entropy, class_entropy_floor, "%.3f", false);
    row("mean confidence", mean_confidence, mean_confidence_floor, "%.3f", false);
    row("confident >= 0.9", confident_share, confident_share_floor, "%.3f", false);
    if (label_agreement >= 0) {
      std::snprintf(line, sizeof line, "%-18s %12.3f\n", "label agreement", label_agreement);
      out += line;
    }
    out += "class shares      ";
    for (std::size_t c = 0; c < class_shares.size(); ++c) {
      const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
      std::snprintf(line, sizeof line, " %s %.1f%%", name.c_str(), 100 * class_shares[c]);
      out += line;
    }
    std::snprintf(line, sizeof line, "\nevaluated in %.0f ms\n", milliseconds);
    out += line;
    return out;
  }
};

/// {"samples": .., "reference": .., "fid": .., "fid_floor": .., ..., "class_shares": [..]}
/// (label_agreement is null when no labels were given).
inline void to_json(nlohmann::json& j, const Scores& s) {
  j = nlohmann::json{{"samples", s.samples},
                     {"reference", s.reference},
                     {"fid", s.fid},
                     {"fid_floor", s.fid_floor},
                     {"fid_ratio", s.fid_ratio()},
                     {"kid", s.kid},
                     {"kid_floor", s.kid_floor},
                     {"precision", s.precision},
                     {"precision_floor", s.precision_floor},
                     {"recall", s.recall},
                     {"recall_floor", s.recall_floor},
                     {"classes", s.classes},
                     {"coverage", s.coverage},
                     {"coverage_floor", s.coverage_floor},
                     {"class_entropy", s.class_entropy},
                     {"class_entropy_floor", s.class_entropy_floor},
                     {"mean_confidence", s.mean_confidence},
                     {"mean_confidence_floor", s.mean_confidence_floor},
                     {"confident_share", s.confident_share},
                     {"confident_share_floor", s.confident_share_floor},
                     {"class_shares", s.class_shares},
                     {"class_names", s.class_names},
                     {"milliseconds", s.milliseconds}};
  j["label_agreement"] =
      s.label_agreement >= 0 ? nlohmann::json(s.label_agreement) : nlohmann::json(nullptr);
}

}  // namespace gan::eval

#pragma once
/// What a training report accumulates, in memory that stays bounded however long the run:
///
///   StepSeries   per-step rows (step, epoch, d_loss, g_loss, d_real, d_fake, images/s)
///                averaged into at most max_points buckets of equal row counts: when the
///                buckets are full, neighbours merge pairwise and the width doubles, so
///                there are always between max_points / 2 and max_points of them
///   EvalSeries   evaluation rows (step + named metrics), at most max_rows: when full,
///                every second row goes (the first and the latest always stay)
///   GridStrip    sample grids as PNG file bytes: grid number k (0, 1, 2, ...) is kept
///                while k is a multiple of a stride that doubles whenever more than
///                max_grids (or more than max_bytes of PNG) would be kept; the latest grid
///                always stays, so a run shows ~max_grids grids spread over it plus its end
///   ReportState  the above, the run's options (JSON), status, final metrics
///
/// A bucket keeps each value's count, mean and sum of squared deviations, merged with
/// Chan, Golub & LeVeque's pairwise update ("Updating formulae and a pairwise algorithm
/// for computing sample variances", 1979), so the report can draw mean +- 1 s.d. bands.
/// Non-finite values are counted apart and left out of the moments.
///
/// A row whose step is not after the latest one (a run resumed from a checkpoint older
/// than the last rows written) first drops what was recorded from that step on: whole
/// buckets, eval rows and grids whose step is >= it. A bucket that straddles the step keeps
/// its earlier rows' average (it cannot be split), which is what the chart then shows.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/io/html.hpp"

namespace gan {

/// One training step as log.csv has it.
struct ReportStep {
  std::int64_t step = 0, epoch = 0;
  double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0, images_per_s = 0;
};

/// Count, mean and M2 (sum of squared deviations) of the finite values seen.
struct Moments {
  double n = 0, mean = 0, m2 = 0;
  std::int64_t non_finite = 0;

  void add(double v) noexcept {
    if (!std::isfinite(v)) {
      ++non_finite;
      return;
    }
    n += 1;
    const double delta = v - mean;
    mean += delta / n;
    m2 += delta * (v - mean);  // Welford's update, the one-value case of Chan et al.
  }
  void merge(const Moments& b) noexcept {
    non_finite += b.non_finite;
    if (b.n == 0) return;
    if (n == 0) {
      n = b.n, mean = b.mean, m2 = b.m2;
      return;
    }
    const double total = n + b.n, delta = b.mean - mean;
    mean += delta * b.n / total;
    m2 += b.m2 + delta * delta * n * b.n / total;
    n = total;
  }
  /// The mean, NaN when no finite value was seen.
  double value() const noexcept { return n > 0 ? mean : std::numeric_limits<double>::quiet_NaN(); }
  /// The population standard deviation of the bucket's values.
  double sd() const noexcept { return n > 0 ? std::sqrt(std::max(0.0, m2 / n)) : 0.0; }
};

enum class StepField { d_loss, g_loss, d_real, d_fake, images_per_s };
inline constexpr std::size_t step_field_count = 5;

struct StepBucket {
  std::int64_t first_step = 0, last_step = 0, first_epoch = 0, last_epoch = 0, rows = 0;
  std::array<Moments, step_field_count> fields;

  const Moments& operator[](StepField f) const noexcept {
    return fields[static_cast<std::size_t>(f)];
  }
  void merge(const StepBucket& b) noexcept {
    last_step = b.last_step;
    last_epoch = b.last_epoch;
    rows += b.rows;
    for (std::size_t i = 0; i < step_field_count; ++i) fields[i].merge(b.fields[i]);
  }
};

class StepSeries {
 public:
  explicit StepSeries(std::size_t max_points = 2000) : max_points_(max_points) {
    if (max_points < 2)
      throw Error("report: max_points must be >= 2, got " + std::to_string(max_points));
    buckets_.reserve(max_points);
  }

  void add(const ReportStep& r) {
    if (rows_ > 0 && r.step <= latest_.step)
      while (!buckets_.empty() && buckets_.back().first_step >= r.step) buckets_.pop_back();
    if (buckets_.empty() || buckets_.back().rows >= width_) {
      if (buckets_.size() == max_points_) halve();
      StepBucket b;
      b.first_step = r.step;
      b.first_epoch = r.epoch;
      buckets_.push_back(b);
    }
    StepBucket& b = buckets_.back();
    b.last_step = r.step;
    b.last_epoch = r.epoch;
    ++b.rows;
    const double values[step_field_count] = {r.d_loss, r.g_loss, r.d_real, r.d_fake,
                                             r.images_per_s};
    for (std::size_t i = 0; i < step_field_count; ++i) b.fields[i].add(values[i]);
    latest_ = r;
    ++rows_;
  }

  const std::vector<StepBucket>& buckets() const noexcept { return buckets_; }
  std::int64_t rows_per_bucket() const noexcept { return width_; }
  /// Rows added in all (including rows later dropped by a rewind).
  std::int64_t rows() const noexcept { return rows_; }
  bool empty() const noexcept { return rows_ == 0; }
  /// The last row added; all zero before the first.
  const ReportStep& latest() const noexcept { return latest_; }
  std::size_t max_points() const noexcept { return max_points_; }

 private:
  void halve() {
    std::size_t out = 0;
    for (std::size_t i = 0; i < buckets_.size(); i += 2, ++out) {
      StepBucket b = buckets_[i];
      if (i + 1 < buckets_.size()) b.merge(buckets_[i + 1]);
      buckets_[out] = b;
    }
    buckets_.resize(out);
    width_ *= 2;
  }

  std::size_t max_points_;
  std::int64_t width_ = 1, rows_ = 0;
  std::vector<StepBucket> buckets_;
  ReportStep latest_;
};

struct EvalRow {
  std::int64_t step = 0;
  std::map<std::string, double> metrics;
};

class EvalSeries {
 public:
  explicit EvalSeries(std::size_t max_rows = 2000) : max_rows_(max_rows) {
    if (max_rows < 2)
      throw Error("report: max_evals must be >= 2, got " + std::to_string(max_rows));
  }

  void add(std::int64_t step, std::map<std::string, double> metrics) {
    for (const auto& [name, value] : metrics)
      if (name.empty())
        throw Error("report: an evaluation at step " + std::to_string(step) +
                    " has a metric without a name");
    while (!rows_.empty() && rows_.back().step >= step) rows_.pop_back();
    rows_.push_back({step, std::move(metrics)});
    if (rows_.size() > max_rows_) {
      std::size_t out = 0;
      for (std::size_t i = 0; i < rows_.size(); ++i)
        if (i % 2 == 0 || i + 1 == rows_.size()) {
          if (out != i) rows_[out] = std::move(rows_[i]);  // never a self-move (it empties)
          ++out;
        }
      rows_.resize(out);
    }
  }

  const std::vector<EvalRow>& rows() const noexcept { return rows_; }
  bool empty() const noexcept { return rows_.empty(); }
  /// Every metric name of any row, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> all;
    for (const EvalRow& r : rows_)
      for (const auto& kv : r.metrics) all.push_back(kv.first);
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }

 private:
  std::size_t max_rows_;
  std::vector<EvalRow> rows_;
};

struct ReportGrid {
  std::int64_t step = 0;
  std::uint64_t number = 0;  ///< how many grids came before it
  std::uint32_t width = 0, height = 0;
  std::vector<unsigned char> png;
};

class GridStrip {
 public:
  GridStrip(std::size_t max_grids = 40, std::size_t max_bytes = std::size_t(16) << 20)
      : max_grids_(max_grids), max_bytes_(max_bytes) {
    if (max_grids < 2)
      throw Error("report: max_grids must be >= 2, got " + std::to_string(max_grids));
  }

  /// png: a PNG file's bytes (gan::Error if they are not one).
  void add(std::int64_t step, std::vector<unsigned char> png) {
    ReportGrid g;
    if (!png_size(png, g.width, g.height))
      throw Error("report: the grid of step " + std::to_string(step) + " is not a PNG file (" +
                  std::to_string(png.size()) + " bytes without a PNG signature and IHDR chunk)");
    while (!grids_.empty() && grids_.back().step >= step) grids_.pop_back();
    g.step = step;
    g.number = next_++;
    g.png = std::move(png);
    // The previous latest stays only if it is on the stride.
    if (!grids_.empty() && grids_.back().number % stride_ != 0) grids_.pop_back();
    grids_.push_back(std::move(g));
    while (grids_.size() > 2 && (grids_.size() - 1 > max_grids_ || bytes() > max_bytes_)) {
      stride_ *= 2;
      std::size_t out = 0;
      for (std::size_t i = 0; i < grids_.size(); ++i)
        if (grids_[i].number % stride_ == 0 || i + 1 == grids_.size()) {
          if (out != i) grids_[out] = std::move(grids_[i]);  // never a self-move (it empties)
          ++out;
        }
      grids_.resize(out);
    }
  }

  const std::vector<ReportGrid>& grids() const noexcept { return grids_; }
  bool empty() const noexcept { return grids_.empty(); }
  std::size_t bytes() const noexcept {
    std::size_t n = 0;
    for (const ReportGrid& g : grids_) n += g.png.size();
    return n;
  }

 private:
  std::size_t max_grids_, max_bytes_;
  std::uint64_t next_ = 0, stride_ = 1;
  std::vector<ReportGrid> grids_;
};

enum class RunStatus { running, finished, interrupted, failed };

inline const char* to_string(RunStatus s) noexcept {
  switch (s) {
    case RunStatus::running:
      return "running";
    case RunStatus::finished:
      return "finished";
    case RunStatus::interrupted:
      return "interrupted";
    case RunStatus::failed:
      return "failed";
  }
  return "running";
}

/// Limits on what a report keeps (and so on its page's size).
struct ReportLimits {
  std::size_t max_points = 2000;                       ///< buckets per step series
  std::size_t max_evals = 2000;                        ///< evaluation rows
  std::size_t max_grids = 40;                          ///< grids spread over the run, + the latest
  std::size_t max_grid_bytes = std::size_t(16) << 20;  ///< PNG bytes of all grids kept
};

/// Everything the page shows.
struct ReportState {
  explicit ReportState(const ReportLimits& limits = {})
      : steps(limits.max_points),
        evals(limits.max_evals),
        grids(limits.max_grids, limits.max_grid_bytes) {}

  std::string title = "Training run";
  RunStatus status = RunStatus::running;
  std::string note;              ///< one line under the title (e.g. why the run stopped)
  std::int64_t total_steps = 0;  ///< 0: unknown
  int refresh_seconds = 0;       ///< > 0: the page reloads itself while the run is running
  nlohmann::json options = nlohmann::json::object();
  std::map<std::string, double> final_metrics;
  StepSeries steps;
  EvalSeries evals;
  GridStrip grids;
};

}  // namespace gan

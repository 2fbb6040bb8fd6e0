#pragma once
/// ThreadTuner: picks the thread count of a training run by measuring it, so a run on a
/// busy machine slows down instead of stalling.
///
/// Why: OpenMP threads meet at a barrier at the end of every parallel region. When another
/// process holds one of the machine's cores, a thread of ours waits for a partner that the
/// kernel has not scheduled, for a whole time slice, at every barrier: on a 2-core machine
/// with one busy competitor a 2-thread step ran 10-30 times slower than on a quiet machine,
/// while a 1-thread step lost only about half (docs/benchmarks.md). Which count is faster
/// depends on what else runs, and that changes during a run, so it is measured, not guessed.
///
/// How: candidates are all cores, then halvings down to 1 (8, 4, 2, 1). Every `period`
/// steps a probe times `probe_steps` steps at each candidate (the first of them is dropped
/// as a warm-up when there are more) and keeps the fastest by its median; between probes
/// the run uses the winner. The kernels give the same bits at every thread count
/// (docs/architecture.md, determinism), so switching changes speed only, never results.
///
///   ThreadTuner tuner(gan::num_threads());
///   for (step...) { tuner.before_step(); t0 = now; trainer.step(...); tuner.after_step(now - t0);
///   }

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gan/core/parallel.hpp"

namespace gan::run {

class ThreadTuner {
 public:
  /// max_threads >= 1: the most the run may use. period: steps between probes;
  /// probe_steps: steps timed per candidate.
  explicit ThreadTuner(int max_threads, std::int64_t period = 500, int probe_steps = 4)
      : period_(std::max<std::int64_t>(period, 1)), probe_steps_(std::max(probe_steps, 1)) {
    for (int t = std::max(max_threads, 1);; t /= 2) {
      candidates_.push_back(t);
      if (t == 1) break;
    }
    chosen_ = candidates_.front();
    times_.reserve(static_cast<std::size_t>(probe_steps_));
  }

  /// Sets the thread count for the coming step.
  void before_step() {
    if (candidates_.size() > 1 && !probing_ && steps_since_probe_ >= period_) start_probe();
    set_num_threads(probing_ ? candidates_[candidate_] : chosen_);
  }

  /// Reports how long the step took.
  void after_step(double seconds) {
    if (!probing_) {
      ++steps_since_probe_;
      return;
    }
    times_.push_back(seconds);
    if (static_cast<int>(times_.size()) < probe_steps_) return;
    // The first step after a change of thread count pays for waking the new threads.
    const auto first = times_.size() > 1 ? times_.begin() + 1 : times_.begin();
    std::sort(first, times_.end());
    const double median = first[(times_.end() - first) / 2];
    if (candidate_ == 0 || median < best_time_) {
      best_time_ = median;
      best_ = candidates_[candidate_];
    }
    times_.clear();
    if (++candidate_ == candidates_.size()) {
      probing_ = false;
      chosen_ = best_;
      steps_since_probe_ = 0;
    }
  }

  /// The count the last probe chose (all cores until the first probe ends).
  int chosen() const noexcept { return chosen_; }
  const std::vector<int>& candidates() const noexcept { return candidates_; }
  bool probing() const noexcept { return probing_; }

 private:
  void start_probe() {
    probing_ = true;
    candidate_ = 0;
    times_.clear();
  }

  std::vector<int> candidates_;
  std::int64_t period_;
  int probe_steps_;
  // The first probe runs at once: a run started on a busy machine adapts from its start.
  std::int64_t steps_since_probe_ = period_;
  bool probing_ = false;
  std::size_t candidate_ = 0;
  std::vector<double> times_;
  double best_time_ = 0;
  int best_ = 1;
  int chosen_ = 1;
};

}  // namespace gan::run

#pragma once
/// EpochOrder: the order in which a training run visits its data, as a function of the
/// step alone, so that a run resumed from a checkpoint at step s sees exactly the batches
/// an uninterrupted run would have seen (the library's exact-resume guarantee).
///
/// With N images and batch B there are P = floor(N / B) steps per epoch (the last partial
/// batch of an epoch is dropped, as PyTorch's DataLoader with drop_last=True). Step s
/// (counted from 0) belongs to epoch e = s / P and takes positions
/// [(s mod P) B, (s mod P) B + B) of epoch e's permutation. Epoch e's permutation is a
/// Fisher-Yates shuffle (Knuth, TAOCP vol. 2, Algorithm 3.4.2P) of 0..N-1 driven by
/// gan::Rng seeded with seed * 0x9E3779B97F4A7C15 + e + 1 (the golden-ratio multiplier
/// spreads neighbouring seeds apart), so it depends only on (N, seed, e).
///
/// batch(step, first, n) returns positions [first, first + n) of a step's batch: a process
/// of a data-parallel job takes its share of the global batch this way.
/// identity() names what the order depends on, for a checkpoint to record and check().

#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"

namespace gan::data {

class EpochOrder {
 public:
  /// The version of the shuffle above; a change to it must change this name.
  static constexpr const char* algorithm = "fisher-yates-mt19937_64-v1";

  EpochOrder(index_t count, index_t batch, std::uint64_t seed)
      : count_(count), batch_(batch), seed_(seed) {
    if (batch < 1) throw Error("EpochOrder: batch must be >= 1, got " + std::to_string(batch));
    if (count < batch)
      throw Error("EpochOrder: batch " + std::to_string(batch) + " is larger than the data set (" +
                  std::to_string(count) + " images)");
    order_.resize(static_cast<std::size_t>(count));
  }

  index_t count() const noexcept { return count_; }
  index_t batch_size() const noexcept { return batch_; }
  std::uint64_t seed() const noexcept { return seed_; }
  std::int64_t steps_per_epoch() const noexcept { return count_ / batch_; }
  /// The epoch (from 0) that step `step` (from 0) belongs to.
  std::int64_t epoch_of(std::int64_t step) const noexcept { return step / steps_per_epoch(); }

  /// Data indices of positions [first, first + n) of batch `step`; n = -1: to the batch's
  /// end. Valid until the next call. Allocates nothing after construction.
  const index_t* batch(std::int64_t step, index_t first = 0) {
    if (step < 0) throw Error("EpochOrder: negative step " + std::to_string(step));
    if (first < 0 || first >= batch_)
      throw Error("EpochOrder: position " + std::to_string(first) + " outside a batch of " +
                  std::to_string(batch_));
    const std::int64_t epoch = epoch_of(step);
    if (epoch != epoch_) shuffle(epoch);
    return order_.data() + (step % steps_per_epoch()) * batch_ + first;
  }

  /// What the order depends on, as checkpoint metadata ("data.count", "data.batch",
  /// "data.seed", "data.order").
  std::map<std::string, std::string> identity() const {
    return {{"data.count", std::to_string(count_)},
            {"data.batch", std::to_string(batch_)},
            {"data.seed", std::to_string(seed_)},
            {"data.order", algorithm}};
  }

  /// Throws gan::Error naming the first difference when `saved` (a checkpoint's metadata)
  /// records another order than this one; entries it lacks are not checked.
  void check(const std::map<std::string, std::string>& saved, const std::string& where) const {
    for (const auto& [key, ours] : identity()) {
      const auto it = saved.find(key);
      if (it != saved.end() && it->second != ours)
        throw Error(where + ": its " + key + " is " + it->second + ", this run's is " + ours +
                    (key == "data.count" ? " (another data set?)" : ""));
    }
  }

 private:
  void shuffle(std::int64_t epoch) {
    std::iota(order_.begin(), order_.end(), index_t(0));
    Rng rng(seed_ * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch) + 1);
    for (index_t i = count_ - 1; i > 0; --i)
      std::swap(order_[static_cast<std::size_t>(i)],
                order_[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i + 1)))]);
    epoch_ = epoch;
  }

  index_t count_, batch_;
  std::uint64_t seed_;
  std::vector<index_t> order_;
  std::int64_t epoch_ = -1;
};

}  // namespace gan::data

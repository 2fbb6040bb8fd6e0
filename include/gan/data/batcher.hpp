#pragma once
/// Batcher: an ImageSet visited in an EpochOrder, one batch of floats (and labels) at a
/// time.
///
///   data::Batcher batches(set, /*batch*/ 64, /*seed*/ 0, data::Range::unit);
///   batches.fill(step, images, labels);        // images [64, C, H, W], labels [64] or empty
///   batches.fill(step, images, labels, 32, 32) // positions 32..63 only (one rank's share)
/// The buffers are the caller's and are sized on the first call, so later calls allocate
/// nothing. The set must outlive the batcher.

#include <vector>

#include "gan/data/epoch_order.hpp"
#include "gan/data/image_set.hpp"

namespace gan::data {

class Batcher {
 public:
  Batcher(const ImageSet& set, index_t batch, std::uint64_t seed, Range range)
      : set_(set), order_(set.count, batch, seed), range_(range) {}

  /// Positions [first, first + n) of batch `step` (n = -1: to the batch's end).
  template <class T>
  void fill(std::int64_t step, Tensor<T>& images, std::vector<int>& labels, index_t first = 0,
            index_t n = -1) {
    if (n < 0) n = order_.batch_size() - first;
    if (n < 1 || first + n > order_.batch_size())
      throw Error("Batcher: positions [" + std::to_string(first) + ", " +
                  std::to_string(first + n) + ") outside a batch of " +
                  std::to_string(order_.batch_size()));
    const index_t* indices = order_.batch(step, first);
    images.resize({n, set_.channels, set_.height, set_.width});
    copy_batch(set_, indices, range_, images);
    labels.clear();
    if (set_.labelled())
      for (index_t i = 0; i < n; ++i)
        labels.push_back(set_.labels[static_cast<std::size_t>(indices[i])]);
  }

  const EpochOrder& order() const noexcept { return order_; }
  const ImageSet& set() const noexcept { return set_; }
  Range range() const noexcept { return range_; }

 private:
  const ImageSet& set_;
  EpochOrder order_;
  Range range_;
};

}  // namespace gan::data

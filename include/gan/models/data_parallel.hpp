#pragma once
/// DataParallel<T>: what a Trainer needs to be one of P processes that train one model on
/// a global batch of B samples (data parallelism, as PyTorch's DistributedDataParallel).
/// It holds no communication code of its own: gan/dist/ fills it with MPI, a test with
/// threads.
///
/// Process r of P takes positions [first, first + count) of every global batch
/// (batch_share below: the first B mod P processes take one sample more). Each sample's
/// noise depends on its global position only: every process draws the noise of the whole
/// global batch from the shared seeded Rng and keeps its rows, so P processes and one
/// draw the same z for sample i, and every process's Rng stays in the same state.
///
/// The losses are means over a process's own count samples, so its gradient g_r is that
/// of L_r = (1 / n_r) sum_{i in r} l_i; the whole batch's mean loss is
///   L = (1 / B) sum_i l_i = sum_r (n_r / B) L_r,   hence   dL/dtheta = sum_r (n_r / B) g_r.
/// reduce_gradients(params, loss, weight) is called with weight = n_r / B before every
/// optimiser step: it must replace every gradient in params and the loss by the sum over
/// processes of weight * value, with the same result on every process. The loss rides
/// along so that the non-finite guard that follows sees the same value everywhere and
/// trips on every process at once. average_scalars(values, count, weight) does the same
/// for a step's figures (StepStats), once per step.
///
/// Both callbacks are collective: every process must call them in the same order, which
/// the Trainer does, since every process runs the same step.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/tensor.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

/// Positions [first, first + count) of a global batch of `batch` samples that process
/// `rank` of `size` takes: the batch split into `size` contiguous shares whose counts differ
/// by at most one, the larger ones first.
struct BatchShare {
  index_t first = 0;
  index_t count = 0;
};

inline BatchShare batch_share(index_t batch, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size)
    throw Error("batch_share: process " + std::to_string(rank) + " of " + std::to_string(size));
  if (batch < size)
    throw Error("data parallel: a batch of " + std::to_string(batch) + " cannot be shared by " +
                std::to_string(size) + " processes (each needs at least one sample)");
  const index_t base = batch / size, extra = batch % size, r = rank;
  return {r * base + (r < extra ? r : extra), base + (r < extra ? 1 : 0)};
}

template <class T>
struct DataParallel {
  index_t global_batch = 0;  ///< B; 0: not data-parallel (the Trainer ignores the rest)
  index_t first = 0;         ///< this process's first position in the global batch
  index_t count = 0;         ///< its number of samples, the real batch it passes to step()
  /// Sums weight * (every gradient of params, and loss) over the processes, in place.
  std::function<void(const std::vector<Parameter<T>>& params, double& loss, double weight)>
      reduce_gradients;
  /// Sums weight * values[i] over the processes, in place.
  std::function<void(double* values, std::size_t count, double weight)> average_scalars;

  bool enabled() const noexcept { return global_batch > 0; }

  /// Throws gan::Error unless the share lies in the batch and both callbacks are set.
  void validate() const {
    if (!enabled()) return;
    if (first < 0 || count < 1 || first + count > global_batch)
      throw Error("DataParallel: share [" + std::to_string(first) + ", " +
                  std::to_string(first + count) + ") outside a global batch of " +
                  std::to_string(global_batch));
    if (!reduce_gradients || !average_scalars)
      throw Error("DataParallel: reduce_gradients and average_scalars must both be set");
  }
};

}  // namespace gan

#pragma once
/// RunParallel: how a TrainingRun takes part in a data-parallel job of `size` processes
/// (gan/dist/ fills it with MPI; the default is a run on its own).
///
/// Every process builds the same run (same options, data and, when resuming, the same
/// checkpoint file) and calls train(); each trains on its share of every global batch
/// (batch_share, models/data_parallel.hpp) through the Trainer hooks in `trainer`.
/// Process 0 alone writes: it creates the output folders and writes the grids, the log
/// and the checkpoints (atomically, as a run on its own does). check_agreement, when set,
/// is called by every process at the start of train() and before every checkpoint; it
/// throws gan::Error when the processes do not hold the same model and optimiser state,
/// so a checkpoint always stands for the whole job.

#include <functional>

#include "gan/models/data_parallel.hpp"
#include "gan/models/trainer.hpp"

namespace gan::run {

struct RunParallel {
  int rank = 0;  ///< this process, in [0, size)
  int size = 1;  ///< processes in the job
  /// The gradient and scalar reductions; the run fills in the batch and the share.
  DataParallel<float> trainer;
  /// Collective: throws gan::Error when the processes' states differ.
  std::function<void(Trainer<float>&)> check_agreement;

  /// Process 0 writes every file of the run.
  bool writer() const noexcept { return rank == 0; }
};

}  // namespace gan::run

#pragma once
// programs::Distributed: gan_train's part in an `mpirun -np N` job (docs/distributed.md).
// Built with MPI (GAN_WITH_MPI, CMake option of the same name), it initialises MPI when a
// launcher started the program and trains data-parallel; started without one, the program
// is exactly what it is without MPI. Built without MPI, it refuses a start under a
// launcher of N > 1 processes, rather than training N independent copies over one folder.
//
// What every process does, so that the job behaves as the program on its own:
//  - --help and command-line errors: process 0 prints, every process exits as alone.
//  - setup (options, data, checkpoint, model): each process sets up, then all compare in
//    one collective (setup_done). If all failed, process 0 prints its one line and all exit
//    with 2, as without MPI; if some failed, those print with their rank and all exit 2.
//  - training: process 0 prints progress and writes every file. An error raised on every
//    process at once (a non-finite step, processes that disagree) ends the job with one
//    line and exit 2; any other error on one process prints it with its rank and ends
//    the whole job (MPI_Abort, exit 2): never a half-written checkpoint, since process 0
//    alone writes and writes atomically.

#include <cstdio>
#include <exception>
#include <gan/dist/launch.hpp>
#include <gan/run/run_parallel.hpp>
#include <map>
#include <memory>
#include <string>
#include <thread>

#ifdef GAN_WITH_MPI
#include <gan/dist/data_parallel.hpp>
#include <gan/dist/mpi.hpp>
#endif

namespace programs {

class Distributed {
 public:
  Distributed(int& argc, char**& argv) {
#ifdef GAN_WITH_MPI
    mpi_ = std::make_unique<gan::dist::Environment>(argc, argv);
    if (mpi_->active()) {
      dp_ = std::make_unique<gan::dist::MpiDataParallel<float>>(mpi_->comm());
      rank_ = mpi_->rank();
      size_ = mpi_->size();
    }
#else
    (void)argc;
    (void)argv;
    const gan::dist::Launch launch = gan::dist::launch_from_environment();
    rank_ = launch.rank;
    if (launch.size > 1)
      refusal_ = "started as one of " + std::to_string(launch.size) +
                 " processes (mpirun?), but this build has no MPI: configure with "
                 "-DGAN_WITH_MPI=ON (docs/distributed.md), or run one process";
#endif
  }

  /// Why this build cannot take part in the job it was started in; empty when it can.
  const std::string& refusal() const noexcept { return refusal_; }
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  /// Process 0 speaks for the job; the others write their progress to silent().
  bool speaks() const noexcept { return rank_ == 0; }
  std::FILE* silent() {
    if (!silent_) silent_.reset(std::fopen("/dev/null", "w"));
    if (!silent_) throw gan::Error("cannot open /dev/null");
    return silent_.get();
  }

  /// --threads 0 under MPI: OpenMP's default (the cores this process is bound to) unless
  /// mpirun did not bind it (--bind-to none), then the machine's cores shared by the
  /// processes on it, so that N processes on one machine do not run N x cores threads.
  int default_threads(int openmp_default) const {
    const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    const int on_machine = local ? std::atoi(local) : 1;
    const auto cores = static_cast<int>(std::thread::hardware_concurrency());
    if (size_ == 1 || on_machine <= 1 || std::getenv("OMP_NUM_THREADS") || openmp_default < cores)
      return openmp_default;
    return std::max(1, cores / on_machine);
  }

  gan::run::RunParallel run_parallel() {
#ifdef GAN_WITH_MPI
    if (dp_) return gan::dist::run_parallel(*dp_);
#endif
    return {};
  }

  /// Collective, after a successful setup: throws when another process's setup failed.
  void setup_done() {
    if (setup_failures(false) > 0) throw OtherFailed();
  }

  /// True on every process when `flag` is on any (Ctrl-C reaches each process on its own).
  bool any(bool flag) {
#ifdef GAN_WITH_MPI
    if (dp_ && size_ > 1) return dp_->any(flag);
#endif
    return flag;
  }

  /// Prints what e says as the job would (see above) and returns the exit code; an error
  /// of this process alone during training ends the whole job instead.
  int fail(const std::exception& e, const char* program) {
    if (dynamic_cast<const OtherFailed*>(&e)) return 2;
    if (size_ == 1) {
      std::fprintf(stderr, "%s: error: %s\n", program, e.what());
      return 2;
    }
    if (!setup_ended_) {
      if (setup_failures(true) == size_) {
        if (speaks()) std::fprintf(stderr, "%s: error: %s\n", program, e.what());
      } else {
        std::fprintf(stderr, "%s: error (process %d of %d): %s\n", program, rank_, size_, e.what());
      }
      return 2;
    }
    if (collective(e)) {
      if (speaks()) std::fprintf(stderr, "%s: error: %s\n", program, e.what());
      return 2;
    }
    std::fprintf(stderr, "%s: error (process %d of %d, ending the job): %s\n", program, rank_,
                 size_, e.what());
    std::fflush(stderr);
#ifdef GAN_WITH_MPI
    mpi_->abort(2);
#else
    return 2;
#endif
  }

  /// "2 processes, 32 images of each batch of 64 each" and, after training, the share of
  /// time in communication; empty for a process on its own.
  std::string describe(int batch) const {
    if (size_ == 1) return {};
    const gan::BatchShare s = gan::batch_share(batch, rank_, size_);
    return "data parallel: " + std::to_string(size_) + " processes, " + std::to_string(s.count) +
           " images of each batch of " + std::to_string(batch) + " on process 0";
  }
  /// A note when a checkpoint ("gan.processes", 1 when absent) was written by a job of
  /// another size: the run continues on the same data order and noise, but not bit for
  /// bit, and BatchNorm sees other batches.
  std::string resume_note(const std::map<std::string, std::string>& metadata) const {
    const auto it = metadata.find("gan.processes");
    const std::string theirs = it == metadata.end() ? "1" : it->second;
    if (theirs == std::to_string(size_)) return {};
    return "note: the checkpoint was written by a job of " + theirs + " process" +
           (theirs == "1" ? "" : "es") + ", this one has " + std::to_string(size_) +
           ": it continues, equal up to float rounding but not bit for bit "
           "(docs/distributed.md)";
  }

  std::string communication(double training_seconds) const {
#ifdef GAN_WITH_MPI
    if (dp_ && size_ > 1 && training_seconds > 0) {
      char line[160];
      std::snprintf(line, sizeof line,
                    "data parallel: %.2f s of %.1f s in %lld allreduce calls (%.1f %%, with the "
                    "wait for the slowest process)",
                    dp_->communication_seconds(), training_seconds,
                    static_cast<long long>(dp_->calls()),
                    100 * dp_->communication_seconds() / training_seconds);
      return line;
    }
#endif
    (void)training_seconds;
    return {};
  }

 private:
  struct OtherFailed : std::exception {
    const char* what() const noexcept override { return "another process failed"; }
  };

  /// Errors that every process raises at the same point of the same step.
  static bool collective(const std::exception& e) {
#ifdef GAN_WITH_MPI
    if (dynamic_cast<const gan::dist::AgreementError*>(&e)) return true;
#endif
    return dynamic_cast<const gan::NonFiniteError*>(&e) != nullptr;
  }

  /// Collective: the number of processes whose setup failed.
  int setup_failures(bool failed) {
    setup_ended_ = true;
    int n = failed ? 1 : 0;
#ifdef GAN_WITH_MPI
    if (dp_ && size_ > 1)
      gan::dist::check(MPI_Allreduce(MPI_IN_PLACE, &n, 1, MPI_INT, MPI_SUM, mpi_->comm()),
                       "MPI_Allreduce");
#endif
    return n;
  }

#ifdef GAN_WITH_MPI
  std::unique_ptr<gan::dist::Environment> mpi_;
  std::unique_ptr<gan::dist::MpiDataParallel<float>> dp_;
#endif
  struct Close {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Close> silent_;
  int rank_ = 0, size_ = 1;
  bool setup_ended_ = false;
  std::string refusal_;
};

}  // namespace programs

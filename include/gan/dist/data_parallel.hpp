#pragma once
/// MpiDataParallel<T>: data-parallel training over MPI, the communication behind the
/// Trainer's DataParallel hooks (models/data_parallel.hpp) and a TrainingRun's
/// RunParallel (run/run_parallel.hpp).
///
///   gan::dist::Environment mpi(argc, argv);
///   gan::dist::MpiDataParallel<float> dp(mpi.comm());
///   gan::run::TrainingRun run(options, registry, std::move(images), gan::dist::run_parallel(dp));
///   run.train(hooks);   // every process; rank 0 writes the files
///
/// Gradients: before each optimiser step the Trainer hands over one network's parameters.
/// Their gradients, each scaled by the process's weight n_r / B, and the scaled loss are
/// packed into one flat bucket [g_1 ... g_P, loss] of T, summed by a single in-place
/// MPI_Allreduce, and unpacked: one call per network update, whatever the number of
/// layers. (Packing and unpacking are two passes over the gradients, 3.6 MB a step for
/// dcgan28, included in bench_data_parallel's "transfer alone"; docs/distributed.md weighs
/// the bucket against overlapping communication with the backward pass.) The bucket grows
/// to the largest
/// network at the first step and is reused: nothing is allocated by us in later steps.
///
/// Agreement: every process applies the same update to the same parameters, so they stay
/// bit-identical. check_agreement(trainer) proves it: a 64-bit hash of every parameter's
/// bits, the step count and the noise generator's state, compared across processes in one
/// MPI_Allreduce; a mismatch (a process resumed from another checkpoint, a build that
/// rounds differently) throws AgreementError on every process. BatchNorm running statistics
/// are buffers, computed from each process's own share, and are not compared.
///
/// Every member except the accessors is collective: all processes call it in the same order.

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gan/dist/mpi.hpp"
#include "gan/models/data_parallel.hpp"
#include "gan/models/trainer.hpp"
#include "gan/run/run_parallel.hpp"

namespace gan::dist {

/// An error raised on every process of the job at the same point (so the job can end
/// with one message instead of an abort).
class AgreementError : public Error {
 public:
  using Error::Error;
};

template <class T>
class MpiDataParallel {
 public:
  /// comm: the processes that train together (Environment::comm()); it must outlive this.
  explicit MpiDataParallel(MPI_Comm comm) : comm_(comm) {
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }

  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }

  /// The Trainer's hooks, bound to this object (which must outlive the trainer). The
  /// share (global_batch, first, count) is the caller's to fill in (TrainingRun does).
  DataParallel<T> hooks() {
    DataParallel<T> h;
    h.reduce_gradients = [this](const std::vector<Parameter<T>>& params, double& loss,
                                double weight) { reduce_gradients(params, loss, weight); };
    h.average_scalars = [this](double* values, std::size_t count, double weight) {
      average_scalars(values, count, weight);
    };
    return h;
  }

  /// Every gradient of params and the loss replaced by sum over processes of weight * it.
  void reduce_gradients(const std::vector<Parameter<T>>& params, double& loss, double weight) {
    std::size_t total = 1;
    for (const auto& p : params) total += static_cast<std::size_t>(p.grad.size());
    if (bucket_.size() < total) bucket_.resize(total);
    const T w = static_cast<T>(weight);
    T* out = bucket_.data();
    for (const auto& p : params)
      out = std::transform(p.grad.data(), p.grad.data() + p.grad.size(), out,
                           [w](T g) { return w * g; });
    *out = static_cast<T>(weight * loss);
    allreduce(bucket_.data(), total);
    const T* in = bucket_.data();
    for (const auto& p : params) {
      std::copy_n(in, p.grad.size(), p.grad.data());
      in += p.grad.size();
    }
    loss = static_cast<double>(*in);
    bytes_ += total * sizeof(T);
  }

  /// values[i] replaced by the sum over processes of weight * values[i].
  void average_scalars(double* values, std::size_t count, double weight) {
    for (std::size_t i = 0; i < count; ++i) values[i] *= weight;
    allreduce(values, count);
  }

  /// True on every process when `flag` is true on any (a stop request, say).
  bool any(bool flag) {
    int v = flag ? 1 : 0;
    check(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, comm_), "MPI_Allreduce");
    return v != 0;
  }

  /// Throws AgreementError on every process unless all hold the same parameters, step
  /// count and noise state.
  template <class Trainer>
  void check_agreement(Trainer& trainer) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix_bytes = [&h](const void* p, std::size_t n) { h = hash_bytes(h, p, n); };
    auto mix_params = [&](auto&& params) {
      for (const auto& p : params)
        mix_bytes(p.value.data(), static_cast<std::size_t>(p.value.size()) * sizeof(T));
    };
    mix_params(trainer.generator().parameters());
    for (std::size_t k = 0; k < trainer.discriminator_count(); ++k)
      mix_params(trainer.discriminator(k).parameters());
    for (const auto& [key, value] : trainer.state_metadata()) {
      mix_bytes(key.data(), key.size());
      mix_bytes(value.data(), value.size());
    }
    // max(h) == min(h) exactly when all agree; min(h) is ~max(~h). One call for both.
    std::uint64_t v[2] = {h, ~h};
    check(MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_UINT64_T, MPI_MAX, comm_), "MPI_Allreduce");
    if (v[0] != ~v[1])
      throw AgreementError(
          "data parallel: at step " + std::to_string(trainer.steps()) + " the " +
          std::to_string(size_) +
          " processes hold different models (was each started from the same checkpoint and "
          "the same build?)");
  }

  /// Seconds spent in MPI_Allreduce calls (with the wait for slower processes), their
  /// number and the gradient bytes sent into them, since construction or reset_counters().
  double communication_seconds() const noexcept { return seconds_; }
  std::int64_t calls() const noexcept { return calls_; }
  std::size_t gradient_bytes() const noexcept { return bytes_; }
  void reset_counters() noexcept {
    seconds_ = 0;
    calls_ = 0;
    bytes_ = 0;
  }

 private:
  /// In-place sum over the processes, in pieces of at most INT_MAX elements (MPI's count).
  template <class V>
  void allreduce(V* data, std::size_t n) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t done = 0; done < n;) {
      const std::size_t piece = std::min<std::size_t>(n - done, INT_MAX);
      check(MPI_Allreduce(MPI_IN_PLACE, data + done, static_cast<int>(piece), datatype<V>(),
                          MPI_SUM, comm_),
            "MPI_Allreduce");
      done += piece;
      ++calls_;
    }
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  /// FNV-1a on 8-byte words (then the tail bytes): enough to tell states apart, and fast.
  static std::uint64_t hash_bytes(std::uint64_t h, const void* p, std::size_t n) noexcept {
    const auto* b = static_cast<const unsigned char*>(p);
    constexpr std::uint64_t prime = 0x100000001b3ULL;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, b + i, 8);
      h = (h ^ w) * prime;
      h ^= h >> 29;
    }
    for (; i < n; ++i) h = (h ^ b[i]) * prime;
    return (h ^ n) * prime;
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  std::vector<T> bucket_;
  double seconds_ = 0;
  std::int64_t calls_ = 0;
  std::size_t bytes_ = 0;
};

/// A TrainingRun's part in the job: rank and size, the trainer's hooks, and the agreement
/// check before every checkpoint. dp must outlive the run.
inline run::RunParallel run_parallel(MpiDataParallel<float>& dp) {
  run::RunParallel p;
  p.rank = dp.rank();
  p.size = dp.size();
  p.trainer = dp.hooks();
  p.check_agreement = [&dp](Trainer<float>& t) { dp.check_agreement(t); };
  return p;
}

}  // namespace gan::dist

// bench_data_parallel: images/s of data-parallel training steps and the share of a step
// spent in communication (docs/distributed.md). A timing program rather than a Google
// Benchmark: every process must run the same steps in the same order, which Google
// Benchmark's adaptive iteration counts do not promise. scripts/bench_mpi.sh runs it as
//   bench_data_parallel --threads 2                    (1 process x 2 threads)
//   mpirun -np 2 bench_data_parallel --threads 1       (2 processes x 1 thread)
// Options: --model NAME (dcgan28), --batch B (64, the global batch), --channels C (model's
// default), --steps S (20 per repeat), --repeats R (5), --warmup W (3 steps).
//
// Per repeat: a barrier, S timed Trainer steps on fixed synthetic images, a barrier;
// images/s = S B / wall time. Communication = the time inside MPI_Allreduce on process 0,
// which includes waiting for the slower process; "transfer alone" times the same
// reductions again on their own (after a barrier, the same buckets, with their packing and
// unpacking), to split the cost of moving the bytes from the waiting.
// Prints one line per repeat and the medians.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <gan/dist/data_parallel.hpp>
#include <gan/models/builtin.hpp>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string model = "dcgan28";
  gan::index_t batch = 64, channels = 0;
  int steps = 20, repeats = 5, warmup = 3, threads = 1;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model")
      o.model = v;
    else if (k == "--batch")
      o.batch = std::atoi(v.c_str());
    else if (k == "--channels")
      o.channels = std::atoi(v.c_str());
    else if (k == "--steps")
      o.steps = std::atoi(v.c_str());
    else if (k == "--repeats")
      o.repeats = std::atoi(v.c_str());
    else if (k == "--warmup")
      o.warmup = std::atoi(v.c_str());
    else if (k == "--threads")
      o.threads = std::atoi(v.c_str());
    else
      throw gan::Error("bench_data_parallel: unknown option '" + k + "'");
  }
  if (o.batch < 1 || o.steps < 1 || o.repeats < 1 || o.warmup < 0 || o.threads < 1)
    throw gan::Error("bench_data_parallel: bad option value");
  return o;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  gan::dist::Environment mpi(argc, argv);
  try {
    const Options o = parse(argc, argv);
    gan::set_num_threads(o.threads);
    const int rank = mpi.rank(), size = mpi.size();
    const auto& registry = gan::models::builtin_models();
    gan::models::ModelSpec spec;
    spec.model = o.model;
    spec.image_size = registry.find(o.model).sizes.front();
    spec.channels = o.channels > 0 ? o.channels : registry.find(o.model).channels.front();
    spec.seed = 1;
    spec = registry.complete(spec);
    gan::models::Model m = registry.make(spec);
    gan::Trainer<float> trainer(*m.generator, *m.discriminator);
    const gan::BatchShare share = gan::batch_share(o.batch, rank, size);
    std::unique_ptr<gan::dist::MpiDataParallel<float>> dp;
    if (mpi.active() && size > 1) {
      dp = std::make_unique<gan::dist::MpiDataParallel<float>>(mpi.comm());
      gan::DataParallel<float> h = dp->hooks();
      h.global_batch = o.batch;
      h.first = share.first;
      h.count = share.count;
      trainer.set_data_parallel(h);
    }
    gan::Tensor<float> real({share.count, spec.channels, spec.image_size, spec.image_size});
    gan::Rng data(7 + static_cast<std::uint64_t>(rank));
    data.fill_uniform(real, m.range == gan::data::Range::unit ? 0.0 : -1.0, 1.0);
    auto barrier = [&] {
      if (mpi.active()) gan::dist::check(MPI_Barrier(mpi.comm()), "MPI_Barrier");
    };

    for (int s = 0; s < o.warmup; ++s) trainer.step(real);
    std::vector<double> rates, comm_shares, transfer_shares;
    std::size_t bytes_per_step = 0;
    std::int64_t calls_per_step = 0;
    for (int r = 0; r < o.repeats; ++r) {
      if (dp) dp->reset_counters();
      barrier();
      const auto t0 = clock_type::now();
      for (int s = 0; s < o.steps; ++s) trainer.step(real);
      barrier();
      const double wall = seconds_since(t0);
      const double comm = dp ? dp->communication_seconds() : 0.0;
      if (dp) {
        bytes_per_step = dp->gradient_bytes() / static_cast<std::size_t>(o.steps);
        calls_per_step = dp->calls() / o.steps;
      }
      // The same reductions alone: D's bucket, G's bucket and the figures, per step.
      double transfer = 0;
      if (dp) {
        auto d_params = trainer.discriminator().parameters();
        auto g_params = trainer.generator().parameters();
        double loss = 0, figures[3] = {};
        barrier();
        const auto t1 = clock_type::now();
        for (int s = 0; s < o.steps; ++s) {
          dp->reduce_gradients(d_params, loss, 1.0);
          dp->reduce_gradients(g_params, loss, 1.0);
          dp->average_scalars(figures, 3, 1.0);
        }
        transfer = seconds_since(t1);
      }
      rates.push_back(static_cast<double>(o.steps * o.batch) / wall);
      comm_shares.push_back(comm / wall);
      transfer_shares.push_back(transfer / wall);
      if (rank == 0)
        std::printf(
            "%s batch %lld, %d process%s x %d thread%s, repeat %d: %.0f images/s, "
            "communication %.1f %% of a step (transfer alone %.1f %%)\n",
            o.model.c_str(), static_cast<long long>(o.batch), size, size > 1 ? "es" : "", o.threads,
            o.threads > 1 ? "s" : "", r + 1, rates.back(), 100 * comm_shares.back(),
            100 * transfer_shares.back());
    }
    if (rank == 0) {
      std::printf(
          "MEDIAN %s batch %lld, %d process%s x %d thread%s: %.0f images/s "
          "(%.1f ms per step), communication %.1f %% (transfer alone %.1f %%)",
          o.model.c_str(), static_cast<long long>(o.batch), size, size > 1 ? "es" : "", o.threads,
          o.threads > 1 ? "s" : "", median(rates),
          1e3 * static_cast<double>(o.batch) / median(rates), 100 * median(comm_shares),
          100 * median(transfer_shares));
      if (dp)
        std::printf(", %lld allreduce calls and %.2f MB per step",
                    static_cast<long long>(calls_per_step),
                    static_cast<double>(bytes_per_step) / 1e6);
      std::printf("\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_data_parallel: %s\n", e.what());
    if (mpi.active() && mpi.size() > 1) mpi.abort(2);
    return 2;
  }
  return 0;
}

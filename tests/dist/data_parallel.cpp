// dist_checks: the MPI pieces of include/gan/dist/ checked directly, under
//   mpirun -np 3 dist_checks          (tests/dist/mpi.sh runs it)
// Each check runs on every process; the program prints the failures of each process and
// exits 1 if any process saw one. A plain main rather than Catch2: every process must run
// every check in the same order, since each check is collective.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <gan/dist/data_parallel.hpp>
#include <gan/gan.hpp>
#include <string>

namespace {

int failures = 0;
int rank = 0;

void expect(bool ok, const std::string& what) {
  if (ok) return;
  std::printf("process %d: FAIL %s\n", rank, what.c_str());
  ++failures;
}

/// True on every process when x has the same bits on every process.
bool same_everywhere(MPI_Comm comm, double x) {
  double v[2] = {x, -x};
  gan::dist::check(MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_DOUBLE, MPI_MAX, comm), "MPI_Allreduce");
  return v[0] == x && -v[1] == x;
}

auto small_nets() {
  gan::Rng init(7);
  gan::Generator g(
      gan::Sequential{gan::Dense<float>(5, 8), gan::LeakyReLU<float>(0.2f), gan::Dense<float>(8, 6),
                      gan::Tanh<float>(), gan::Reshape<float>({1, 2, 3})},
      5);
  gan::Discriminator d(gan::Sequential{gan::Flatten<float>(), gan::Dense<float>(6, 4),
                                       gan::LeakyReLU<float>(0.2f), gan::Dense<float>(4, 1),
                                       gan::Sigmoid<float>()});
  for (auto& p : g.parameters()) init.fill_normal(p.value, 0, 0.1);
  for (auto& p : d.parameters()) init.fill_normal(p.value, 0, 0.1);
  return std::pair{std::move(g), std::move(d)};
}

}  // namespace

int main(int argc, char** argv) {
  gan::dist::Environment mpi(argc, argv);
  if (!mpi.active() || mpi.size() < 2) {
    std::fprintf(stderr, "dist_checks: run me under mpirun -np 2 or more\n");
    return 2;
  }
  rank = mpi.rank();
  const int size = mpi.size();
  const MPI_Comm comm = mpi.comm();
  try {
    gan::dist::MpiDataParallel<float> dp(comm);
    expect(dp.rank() == rank && dp.size() == size, "rank and size");

    // Gradients of three tensors (one of them empty) and the loss, each scaled by the
    // process's weight w_r = (r + 1) / S with S = sum (r + 1): the sum is
    // sum_r w_r (r + 1) x = x * sum (r + 1)^2 / S.
    gan::Tensor<float> v1({5}), g1({5}), v2({0}), g2({0}), v3({2, 3}), g3({2, 3});
    for (gan::index_t i = 0; i < 5; ++i) g1[i] = static_cast<float>((rank + 1) * (i + 1));
    for (gan::index_t i = 0; i < 6; ++i) g3[i] = static_cast<float>((rank + 1) * (10 - i));
    std::vector<gan::Parameter<float>> params = {{"a", v1, g1}, {"b", v2, g2}, {"c", v3, g3}};
    double s = 0, s2 = 0;
    for (int r = 0; r < size; ++r) {
      s += r + 1;
      s2 += (r + 1) * (r + 1);
    }
    const double weight = (rank + 1) / s;
    double loss = 10.0 * (rank + 1);
    dp.reduce_gradients(params, loss, weight);
    for (gan::index_t i = 0; i < 5; ++i) {
      expect(std::abs(g1[i] - (i + 1) * s2 / s) < 1e-5,
             "summed gradient a[" + std::to_string(i) + "]");
      expect(same_everywhere(comm, g1[i]), "a[" + std::to_string(i) + "] the same bits everywhere");
    }
    for (gan::index_t i = 0; i < 6; ++i)
      expect(std::abs(g3[i] - (10 - i) * s2 / s) < 1e-5,
             "summed gradient c[" + std::to_string(i) + "]");
    expect(std::abs(loss - 10 * s2 / s) < 1e-4, "summed loss " + std::to_string(loss));
    expect(same_everywhere(comm, loss), "the loss the same everywhere");
    expect(dp.calls() == 1, "one MPI_Allreduce for all gradients and the loss");
    expect(dp.gradient_bytes() == (5 + 0 + 6 + 1) * sizeof(float), "bucket bytes");

    double stats[3] = {1.0 * rank, 2.0, -1.0};
    dp.average_scalars(stats, 3, 1.0 / size);
    expect(std::abs(stats[0] - (size - 1) / 2.0) < 1e-12, "average of the ranks");
    expect(std::abs(stats[1] - 2.0) < 1e-12 && std::abs(stats[2] + 1.0) < 1e-12,
           "average of equal values");

    expect(dp.any(rank == size - 1), "any: true on the last process only");
    expect(!dp.any(false), "any: false everywhere");

    // Agreement: equal trainers pass; one changed bit on one process fails everywhere.
    auto [g, d] = small_nets();
    gan::Trainer trainer(g, d);
    bool threw = false;
    try {
      dp.check_agreement(trainer);
    } catch (const gan::dist::AgreementError&) {
      threw = true;
    }
    expect(!threw, "equal trainers agree");
    if (rank == size - 1) {
      auto p = g.parameters();
      std::uint32_t bits;
      std::memcpy(&bits, p[0].value.data(), 4);
      bits ^= 1u;
      std::memcpy(p[0].value.data(), &bits, 4);
    }
    std::string message;
    try {
      dp.check_agreement(trainer);
    } catch (const gan::dist::AgreementError& e) {
      message = e.what();
    }
    expect(message == "data parallel: at step 0 the " + std::to_string(size) +
                          " processes hold different models (was each started from the same "
                          "checkpoint and the same build?)",
           "one flipped bit on one process is seen by every process: '" + message + "'");

    // A data-parallel Trainer through MpiDataParallel: every process ends with the same
    // bits, and one update is one reduction.
    auto [g_a, d_a] = small_nets();
    gan::Trainer t(g_a, d_a);
    gan::DataParallel<float> h = dp.hooks();
    const gan::BatchShare share = gan::batch_share(7, rank, size);
    h.global_batch = 7;
    h.first = share.first;
    h.count = share.count;
    t.set_data_parallel(h);
    gan::Tensor<float> real({share.count, 1, 2, 3});
    gan::Rng data(100 + static_cast<std::uint64_t>(rank));
    dp.reset_counters();
    for (int step = 0; step < 3; ++step) {
      data.fill_uniform(real, -1, 1);
      t.step(real);
    }
    expect(dp.calls() == 3 * (1 + 1 + 1),
           "per step: one reduction for D, one for G, one for the figures");
    threw = false;
    try {
      dp.check_agreement(t);
    } catch (const gan::dist::AgreementError&) {
      threw = true;
    }
    expect(!threw, "data-parallel trainers hold the same bits after 3 steps");
  } catch (const std::exception& e) {
    std::printf("process %d: FAIL %s\n", rank, e.what());
    std::fflush(stdout);
    mpi.abort(1);
  }
  int total = failures;
  gan::dist::check(MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_INT, MPI_SUM, comm), "MPI_Allreduce");
  if (rank == 0) std::printf("dist_checks on %d processes: %d failed\n", size, total);
  return total > 0 ? 1 : 0;
}

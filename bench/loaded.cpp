// A training step on a busy machine: dcgan28-bn at batch 64 (gan_train's default model),
// 1 thread, every thread, and the run's measured choice (gan::run::ThreadTuner), each quiet
// and with one competing busy process started by the benchmark itself (a child spinning
// at nice 19, the situation of docs/benchmarks.md: a 2-thread step used to fall 10-30x).
//   ./bench_loaded            images/s; compare /load:1 rows with /load:0 rows
// The machine must be otherwise idle: the competitor is the only load the figures allow.

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "bench_util.hpp"
#include "gan/gan.hpp"
#include "gan/run/thread_tuner.hpp"

namespace {

constexpr gan::index_t kBatch = 64;

/// A child process that spins on one core until destroyed.
class Competitor {
 public:
  explicit Competitor(bool on) {
    if (!on) return;
    pid_ = fork();
    if (pid_ == 0) {
      setpriority(PRIO_PROCESS, 0, 19);
      volatile unsigned long spin = 0;
      for (;;) spin = spin + 1;
    }
    usleep(200000);  // let it take its core
  }
  ~Competitor() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Competitor(const Competitor&) = delete;
  Competitor& operator=(const Competitor&) = delete;

 private:
  pid_t pid_ = -1;
};

/// threads 0: the ThreadTuner chooses, as gan_train does by default.
void step(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const bool loaded = state.range(1) != 0;
  const int cores = gan::bench::thread_counts().back();
  gan::set_num_threads(threads > 0 ? threads : cores);
  gan::manual_seed(1);
  auto g = gan::nets::dcgan28_bn_generator<float>();
  auto d = gan::nets::dcgan28_discriminator<float>();
  gan::Trainer trainer(g, d);
  gan::Tensor<float> real({kBatch, 1, 28, 28});
  gan::Rng(1).fill_uniform(real);
  Competitor competitor(loaded);
  gan::run::ThreadTuner tuner(cores, /*period*/ 200);
  for (int warm = 0; warm < 2; ++warm) trainer.step(real);
  for (auto _ : state) {
    if (threads == 0) tuner.before_step();
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(trainer.step(real));
    if (threads == 0)
      tuner.after_step(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(kBatch) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  if (threads == 0) state.counters["chosen_threads"] = tuner.chosen();
}

void arguments(benchmark::internal::Benchmark* b) {
  b->ArgNames({"threads", "load"});
  for (int load : {0, 1}) {
    for (int t : gan::bench::thread_counts()) b->Args({t, load});
    b->Args({0, load});
  }
  b->UseRealTime()
      ->Unit(benchmark::kMillisecond)
      ->MinTime(3.0)
      ->Repetitions(3)
      ->ReportAggregatesOnly(true);
}

}  // namespace

BENCHMARK(step)->Apply(arguments);

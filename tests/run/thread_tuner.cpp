#include "gan/run/thread_tuner.hpp"

#include <catch2/catch.hpp>

TEST_CASE("ThreadTuner: candidates are all cores and their halvings", "[run]") {
  CHECK(gan::run::ThreadTuner(8).candidates() == std::vector<int>{8, 4, 2, 1});
  CHECK(gan::run::ThreadTuner(6).candidates() == std::vector<int>{6, 3, 1});
  CHECK(gan::run::ThreadTuner(1).candidates() == std::vector<int>{1});
  CHECK(gan::run::ThreadTuner(0).candidates() == std::vector<int>{1});
}

TEST_CASE("ThreadTuner: keeps the thread count whose steps were fastest, and probes again later",
          "[run]") {
  const int saved = gan::num_threads();
  gan::run::ThreadTuner tuner(2, /*period*/ 10, /*probe_steps*/ 3);
  // A machine where 2 threads are slow (a busy competitor): 2 -> 50 ms, 1 -> 20 ms.
  double slow_two = 0.050;
  auto run_steps = [&](int n) {
    for (int i = 0; i < n; ++i) {
      tuner.before_step();
      const int t = gan::num_threads();
      tuner.after_step(t == 2 ? slow_two : 0.020);
    }
  };
  run_steps(6);  // the first probe: 3 steps at 2 threads, 3 at 1
  CHECK_FALSE(tuner.probing());
  CHECK(tuner.chosen() == 1);
  run_steps(10);
  CHECK(gan::num_threads() == 1);
  // The competitor is gone: 2 threads now take 12 ms; the next probe switches back.
  slow_two = 0.012;
  run_steps(6);
  CHECK(tuner.chosen() == 2);
  // The first step of each candidate is a warm-up and does not count: a single slow
  // first step at 2 threads does not make the tuner leave them.
  tuner.before_step();
  gan::set_num_threads(saved);
}

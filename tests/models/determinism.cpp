#include <catch2/catch.hpp>
#include <cstring>

#include "gan/gan.hpp"

namespace {

/// All of a trainer's state after `steps` steps of dcgan28-bn on seeded data, computed
/// with `threads` OpenMP threads.
std::vector<gan::Tensor<float>> train_with(int threads, int steps, bool conditional) {
  gan::set_num_threads(threads);
  gan::manual_seed(21);
  const gan::index_t classes = conditional ? 10 : 0;
  auto g = gan::nets::dcgan28_bn_generator<float>(100, classes);
  auto d = gan::nets::dcgan28_discriminator<float>(classes);
  gan::TrainerOptions o;
  o.seed = 8;
  gan::Trainer trainer(g, d, o);
  gan::Tensor<float> real({16, 1, 28, 28});
  gan::Rng rng(5);
  std::vector<int> labels;
  for (int s = 0; s < steps; ++s) {
    rng.fill_uniform(real);
    labels.clear();
    if (conditional)
      for (int i = 0; i < 16; ++i) labels.push_back(static_cast<int>(rng.below(10)));
    trainer.step(real, labels);
  }
  std::vector<gan::Tensor<float>> state;
  for (auto& t : trainer.state_tensors()) state.push_back(t.value);
  return state;
}

}  // namespace

TEST_CASE("Training is bit-identical with 1 and 2 threads, and with the same seed",
          "[models][determinism]") {
  const int saved = gan::num_threads();
  for (bool conditional : {false, true}) {
    const auto one = train_with(1, 3, conditional);
    const auto two = train_with(2, 3, conditional);
    const auto again = train_with(2, 3, conditional);
    REQUIRE(one.size() == two.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
      INFO("tensor " << i << (conditional ? " (conditional)" : ""));
      REQUIRE(one[i].shape() == two[i].shape());
      REQUIRE(std::memcmp(one[i].data(), two[i].data(), sizeof(float) * one[i].size()) == 0);
      REQUIRE(std::memcmp(two[i].data(), again[i].data(), sizeof(float) * two[i].size()) == 0);
    }
  }
  gan::set_num_threads(saved);
}

#include "gan/run/robustness.hpp"

#include <catch2/catch.hpp>

#include "gan/gan.hpp"

namespace {

using gan::Tensor;

/// logit(x) = sum of x's 16 pixels - 7: FGSM at eps moves the logit by exactly 16 eps.
auto linear_discriminator() {
  auto d = gan::Discriminator(gan::Sequential{gan::Flatten<float>(), gan::Dense<float>(16, 1)}, 0,
                              gan::Output::logits);
  auto params = d.parameters();
  params[0].value.fill(1.0f);
  params[1].value.fill(-7.0f);
  return d;
}

}  // namespace

TEST_CASE("FGSM flips exactly the verdicts within 16 eps of the boundary", "[run][robustness]") {
  auto d = linear_discriminator();
  auto ed = gan::erase_discriminator_ref(d);
  Tensor<float> images({300, 1, 4, 4});
  gan::Rng rng(2);
  rng.fill_uniform(images, 0.2, 0.8);
  const float eps = 0.05f;
  for (const bool real : {true, false}) {
    std::int64_t correct = 0, flipped = 0;
    for (gan::index_t i = 0; i < 300; ++i) {
      float logit = -7;
      for (gan::index_t p = 0; p < 16; ++p) logit += images[i * 16 + p];
      // The attack subtracts eps from every pixel of a real image, adds it to a fake's.
      const bool right = real ? logit > 0 : logit <= 0;
      const float moved = real ? logit - 16 * eps : logit + 16 * eps;
      correct += right;
      flipped += right && (real ? moved <= 0 : moved > 0);
    }
    INFO((real ? "real" : "fake") << ": " << correct << " correct, " << flipped << " flipped");
    REQUIRE(flipped > 10);  // the case is not trivial
    for (const gan::index_t chunk : {300, 7}) {
      gan::Rng attack_rng(1);
      const auto out = gan::run::attack_outcome<float>({ed.get()}, images, {}, real,
                                                       gan::parse_attack("fgsm:0.05"), 0.0, 1.0,
                                                       attack_rng, chunk);
      REQUIRE(out.images == 300);
      REQUIRE(out.correct == correct);
      REQUIRE(out.flipped == flipped);
      REQUIRE(out.flip_rate() == Approx(static_cast<double>(flipped) / correct));
    }
    // A panel of two copies judges and is attacked as one of them.
    gan::Rng attack_rng(1);
    const auto two =
        gan::run::attack_outcome<float>({ed.get(), ed.get()}, images, {}, real,
                                        gan::parse_attack("fgsm:0.05"), 0.0, 1.0, attack_rng);
    REQUIRE(two.flipped == flipped);
    // PGD in the same ball can do no better on a linear model, and does as well.
    const auto pgd = gan::run::attack_outcome<float>(
        {ed.get()}, images, {}, real, gan::parse_attack("pgd:0.05,10,0.01"), 0.0, 1.0, attack_rng);
    REQUIRE(pgd.flipped == flipped);
  }
  for (const auto& p : d.parameters())
    for (gan::index_t i = 0; i < p.grad.size(); ++i) REQUIRE(p.grad[i] == 0.0f);
}

TEST_CASE("attack_outcome refuses what it cannot judge", "[run][robustness][errors]") {
  auto d = linear_discriminator();
  auto ed = gan::erase_discriminator_ref(d);
  gan::Rng rng(1);
  const Tensor<float> images({4, 1, 4, 4});
  REQUIRE_THROWS_WITH(
      gan::run::attack_outcome<float>({}, images, {}, true, gan::Attack{}, 0, 1, rng),
      Catch::Contains("no discriminator"));
  REQUIRE_THROWS_WITH(
      gan::run::attack_outcome<float>({ed.get()}, images, {1, 2}, true, gan::Attack{}, 0, 1, rng),
      Catch::Contains("2 labels for 4 images"));
  REQUIRE_THROWS_WITH(gan::run::attack_outcome<float>({ed.get()}, Tensor<float>({4, 16}), {}, true,
                                                      gan::Attack{}, 0, 1, rng),
                      Catch::Contains("[4, 16]"));
}

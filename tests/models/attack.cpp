#include "gan/models/attack.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "gan/gan.hpp"

namespace {

using gan::Tensor;

template <class T>
auto small_discriminator() {
  return gan::Discriminator(gan::Sequential{gan::Conv2d<T>(1, 8, 4, 2, 1),
                                            gan::LeakyReLU<T>(T(0.2)), gan::Flatten<T>(),
                                            gan::Dense<T>(8 * 7 * 7, 1), gan::Sigmoid<T>()});
}

/// D's loss term on x (real: its real term, else its fake term) and the oracle the attacks
/// use: dL/dx with D's parameters frozen.
template <class D>
struct Oracle {
  using T = typename D::value_type;
  D& d;
  bool real;
  Tensor<T> grad;
  double loss(const Tensor<T>& x) {
    return gan::discriminator_loss(gan::Loss::bce, d.output(), d.forward(x), real, 0.0, grad);
  }
  const Tensor<T>& operator()(const Tensor<T>& x) {
    d.set_requires_grad(false);
    loss(x);
    const Tensor<T>& dx = d.backward(grad);
    d.set_requires_grad(true);
    return dx;
  }
};

}  // namespace

TEST_CASE("Attack names read back as themselves; lists split at names", "[models][attack]") {
  for (const char* name : {"none", "noise:0.1", "fgsm:0.05", "pgd:0.05,10,0.01", "fgsm:0.0039215"})
    REQUIRE(gan::parse_attack(name).str() == name);
  const auto list = gan::parse_attacks("none,fgsm:0.05,pgd:0.1,7,0.02,noise:0.2");
  REQUIRE(list.size() == 4);
  REQUIRE(list[1].kind == gan::AttackKind::fgsm);
  REQUIRE(list[2].kind == gan::AttackKind::pgd);
  REQUIRE(list[2].steps == 7);
  REQUIRE(list[2].step_size == 0.02);
  REQUIRE(list[3].epsilon == 0.2);
  REQUIRE(gan::to_string(list) == "none,fgsm:0.05,pgd:0.1,7,0.02,noise:0.2");
  REQUIRE(gan::parse_attacks("fgsm:.5")[0].epsilon == 0.5);
}

TEST_CASE("Bad attacks are refused with what was expected", "[models][attack][errors]") {
  REQUIRE_THROWS_WITH(gan::parse_attack("cw:1"),
                      Catch::Contains("unknown attack 'cw:1'") && Catch::Contains("fgsm:epsilon"));
  REQUIRE_THROWS_WITH(gan::parse_attack("fgsm"), Catch::Contains("unknown attack 'fgsm'"));
  REQUIRE_THROWS_WITH(gan::parse_attack("fgsm:0"), Catch::Contains("epsilon must be > 0"));
  REQUIRE_THROWS_WITH(gan::parse_attack("noise:abc"), Catch::Contains("'abc' is not a number"));
  REQUIRE_THROWS_WITH(gan::parse_attack("pgd:0.1,10"),
                      Catch::Contains("expected pgd:epsilon,steps,step_size"));
  REQUIRE_THROWS_WITH(gan::parse_attack("pgd:0.1,2.5,0.01"), Catch::Contains("whole number"));
  REQUIRE_THROWS_WITH(gan::parse_attacks("none,,fgsm:1"), Catch::Contains("unknown attack ''"));
}

TEMPLATE_TEST_CASE("FGSM raises the discriminator's loss, on real and on fake inputs",
                   "[models][attack]", float, double) {
  using T = TestType;
  gan::manual_seed(2);
  auto d = small_discriminator<T>();
  gan::Rng rng(3);
  Tensor<T> x({6, 1, 14, 14}), out;
  rng.fill_uniform(x, 0.1, 0.9);
  for (const bool real : {true, false}) {
    Oracle<decltype(d)> oracle{d, real, {}};
    const double clean = oracle.loss(x);
    for (const double eps : {0.01, 0.05}) {
      gan::Attack a;
      a.kind = gan::AttackKind::fgsm;
      a.epsilon = eps;
      gan::perturb(a, x, oracle, rng, 0.0, 1.0, out);
      const double attacked = oracle.loss(out);
      INFO((real ? "real" : "fake") << ", eps " << eps << ": " << clean << " -> " << attacked);
      REQUIRE(attacked > clean);
      // Every pixel moved by exactly eps (none is near the clip at 0 or 1).
      for (gan::index_t i = 0; i < x.size(); ++i)
        REQUIRE(std::abs(static_cast<double>(out[i] - x[i])) == Approx(eps).epsilon(1e-5));
    }
    // The parameters' gradients were left alone: the attack froze them.
    for (const auto& p : d.parameters())
      for (gan::index_t i = 0; i < p.grad.size(); ++i) REQUIRE(p.grad[i] == T(0));
  }
}

TEMPLATE_TEST_CASE("PGD stays in the eps-ball and the image range, and beats FGSM's loss",
                   "[models][attack]", float, double) {
  using T = TestType;
  gan::manual_seed(5);
  auto d = small_discriminator<T>();
  gan::Rng rng(6);
  Tensor<T> x({5, 1, 14, 14}), fgsm_out, pgd_out;
  rng.fill_uniform(x, 0.0, 1.0);
  x[0] = T(0);  // pixels at the range's ends: the clip must hold them inside
  x[1] = T(1);
  Oracle<decltype(d)> oracle{d, true, {}};
  const double clean = oracle.loss(x);
  gan::Attack fgsm = gan::parse_attack("fgsm:0.1");
  gan::Attack pgd = gan::parse_attack("pgd:0.1,20,0.02");
  gan::perturb(fgsm, x, oracle, rng, 0.0, 1.0, fgsm_out);
  gan::perturb(pgd, x, oracle, rng, 0.0, 1.0, pgd_out);
  const double after_fgsm = oracle.loss(fgsm_out), after_pgd = oracle.loss(pgd_out);
  INFO("clean " << clean << ", fgsm " << after_fgsm << ", pgd " << after_pgd);
  REQUIRE(after_pgd > clean);
  REQUIRE(after_pgd >= 0.98 * after_fgsm);
  const double slack = std::is_same_v<T, float> ? 1e-6 : 1e-12;  // rounding of x + eps
  double largest = 0;
  for (gan::index_t i = 0; i < x.size(); ++i) {
    const double step = std::abs(static_cast<double>(pgd_out[i]) - static_cast<double>(x[i]));
    largest = std::max(largest, step);
    REQUIRE(step <= 0.1 + slack);
    REQUIRE(pgd_out[i] >= T(0));
    REQUIRE(pgd_out[i] <= T(1));
  }
  REQUIRE(largest > 0.09);  // it went out to the ball's edge
}

TEST_CASE("noise adds N(0, sigma^2); none copies; both ignore the oracle", "[models][attack]") {
  Tensor<double> x({4, 1, 50, 50}), out;
  x.fill(0.5);
  gan::Rng rng(1);
  int calls = 0;
  auto oracle = [&](const Tensor<double>& at) -> const Tensor<double>& {
    ++calls;
    return at;
  };
  gan::perturb(gan::parse_attack("noise:0.2"), x, oracle, rng, 0.0, 1.0, out);
  double mean = 0, sq = 0;
  for (gan::index_t i = 0; i < out.size(); ++i) {
    mean += (out[i] - 0.5) / static_cast<double>(out.size());
    sq += (out[i] - 0.5) * (out[i] - 0.5) / static_cast<double>(out.size());
  }
  REQUIRE(std::abs(mean) < 0.01);
  REQUIRE(std::sqrt(sq) == Approx(0.2).epsilon(0.03));
  gan::perturb(gan::Attack{}, x, oracle, rng, 0.0, 1.0, out);
  for (gan::index_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == 0.5);
  REQUIRE(calls == 0);
}

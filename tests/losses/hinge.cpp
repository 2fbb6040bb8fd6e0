#include "gan/losses/hinge.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "gan/core/rng.hpp"
#include "gan/testing/gradcheck.hpp"

namespace {

// Scores in [-3, 3] at least 0.1 away from the kinks at +1 and -1, where a central
// difference of step 1e-6 is a derivative.
gan::Tensor<double> away_from_kinks(gan::Shape s, std::uint64_t seed) {
  gan::Tensor<double> t(s);
  gan::Rng rng(seed);
  rng.fill_uniform(t, -3, 3);
  for (double& v : t)
    if (std::abs(std::abs(v) - 1) < 0.1) v += 0.25;
  return t;
}

template <class T>
gan::Tensor<T> values(std::initializer_list<double> v) {
  gan::Tensor<T> t({static_cast<gan::index_t>(v.size())});
  gan::index_t i = 0;
  for (double x : v) t[i++] = static_cast<T>(x);
  return t;
}

}  // namespace

TEMPLATE_TEST_CASE("hinge_loss: hand-worked examples", "[losses][hinge]", float, double) {
  using T = TestType;
  const auto pred = values<T>({-2, -0.5, 0.5, 1, 3});
  gan::Tensor<T> grad;
  // Real (t = +1): relu(1 - p) = 3, 1.5, 0.5, 0, 0 -> mean 1; gradient -1/5 where 1 - p > 0.
  REQUIRE(gan::hinge_loss(pred, T(1), grad) == Approx(1.0));
  const double real_grad[] = {-0.2, -0.2, -0.2, 0, 0};  // 0 at the kink p = 1, as PyTorch
  for (gan::index_t i = 0; i < 5; ++i) REQUIRE(grad[i] == Approx(real_grad[i]));
  // Fake (t = -1): relu(1 + p) = 0, 0.5, 1.5, 2, 4 -> mean 1.6; gradient +1/5 where 1 + p > 0.
  REQUIRE(gan::hinge_loss(pred, T(-1), grad) == Approx(1.6));
  const double fake_grad[] = {0, 0.2, 0.2, 0.2, 0.2};
  for (gan::index_t i = 0; i < 5; ++i) REQUIRE(grad[i] == Approx(fake_grad[i]));
  // Generator: -mean(p) = -0.4, gradient -1/5 everywhere.
  REQUIRE(gan::hinge_generator_loss(pred, grad) == Approx(-0.4));
  REQUIRE(grad.shape() == pred.shape());
  for (T g : grad) REQUIRE(g == Approx(-0.2));
  // A per-element target gives each element its own side.
  const auto target = values<T>({1, -1, 1, -1, 1});
  // relu(1 + 2) = 3, relu(1 - 0.5) = 0.5, relu(0.5) = 0.5, relu(2) = 2, relu(-2) = 0 -> 6 / 5.
  REQUIRE(gan::hinge_loss(pred, target, grad) == Approx(1.2));
  const double mixed_grad[] = {-0.2, 0.2, -0.2, 0.2, 0};
  for (gan::index_t i = 0; i < 5; ++i) REQUIRE(grad[i] == Approx(mixed_grad[i]));
}

TEMPLATE_TEST_CASE("hinge_loss matches the plain formula on a vector-sized input",
                   "[losses][hinge]", float, double) {
  using T = TestType;
  gan::Tensor<T> pred({5, 7});  // 35 elements: full SIMD batches and a scalar tail
  gan::Rng rng(40);
  rng.fill_uniform(pred, -3, 3);
  gan::Tensor<T> grad;
  for (const double t : {1.0, -1.0}) {
    double expected = 0;
    for (T p : pred) expected += std::max(0.0, 1 - t * double(p));
    REQUIRE(gan::hinge_loss(pred, T(t), grad) == Approx(expected / 35).epsilon(1e-5));
    for (gan::index_t i = 0; i < pred.size(); ++i)
      REQUIRE(grad[i] == Approx(1 - t * double(pred[i]) > 0 ? -t / 35 : 0.0));
  }
  double sum = 0;
  for (T p : pred) sum += p;
  REQUIRE(gan::hinge_generator_loss(pred, grad) == Approx(-sum / 35).epsilon(1e-5));
}

TEST_CASE("hinge losses pass the finite-difference check", "[losses][hinge][gradcheck]") {
  for (const gan::Shape& s : {gan::Shape{7}, gan::Shape{3, 5}, gan::Shape{2, 1, 3, 3}}) {
    const auto pred = away_from_kinks(s, 41);
    for (const double label : {1.0, -1.0}) {
      auto with_label = [&](const gan::Tensor<double>& x, gan::Tensor<double>& g) {
        return gan::hinge_loss(x, label, g);
      };
      const auto r = gan::testing::check_function_gradient(with_label, pred);
      INFO(r.report);
      REQUIRE(r.ok);
    }
    gan::Tensor<double> target(s);
    for (gan::index_t i = 0; i < target.size(); ++i) target[i] = i % 2 ? 1.0 : -1.0;
    auto with_tensor = [&](const gan::Tensor<double>& x, gan::Tensor<double>& g) {
      return gan::hinge_loss(x, target, g);
    };
    auto r = gan::testing::check_function_gradient(with_tensor, pred);
    INFO(r.report);
    REQUIRE(r.ok);
    auto generator = [](const gan::Tensor<double>& x, gan::Tensor<double>& g) {
      return gan::hinge_generator_loss(x, g);
    };
    r = gan::testing::check_function_gradient(generator, pred);
    INFO(r.report);
    REQUIRE(r.ok);
  }
}

TEST_CASE("hinge losses name the shapes and refuse bad arguments", "[losses][hinge][errors]") {
  gan::Tensor<double> pred({4, 1}), target({1, 4}), grad, empty;
  REQUIRE_THROWS_AS(gan::hinge_loss(pred, target, grad), gan::Error);
  REQUIRE_THROWS_WITH(gan::hinge_loss(pred, target, grad), Catch::Contains("hinge_loss") &&
                                                               Catch::Contains("[4, 1]") &&
                                                               Catch::Contains("[1, 4]"));
  REQUIRE_THROWS_WITH(gan::hinge_loss(empty, 1.0, grad),
                      Catch::Contains("hinge_loss") && Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(gan::hinge_generator_loss(empty, grad),
                      Catch::Contains("hinge_generator_loss") && Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(gan::hinge_generator_loss(pred, pred),
                      Catch::Contains("hinge_generator_loss") && Catch::Contains("its own"));
}

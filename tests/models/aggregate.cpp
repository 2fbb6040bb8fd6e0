#include "gan/models/aggregate.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>

#include "gan/gan.hpp"
#include "gan/layers/avg_pool2d.hpp"
#include "gan/testing/gradcheck.hpp"

namespace {

using gan::Tensor;

std::vector<double> as_vector(const Tensor<double>& t) { return {t.begin(), t.end()}; }

const char* const every_aggregate[] = {"mean",       "max",  "softmean:0.5",
                                       "softmean:3", "auto", "auto:2,0.1,0.01"};

}  // namespace

TEST_CASE("Aggregate names read back as themselves; bad ones are refused", "[models][aggregate]") {
  for (const char* name :
       {"mean", "max", "softmean:1", "softmean:0.25", "auto:1,0.01,0.001", "auto:0.5,0.2,0"})
    REQUIRE(gan::parse_aggregate(name).str() == name);
  REQUIRE(gan::parse_aggregate("auto").str() == "auto:1,0.01,0.001");
  REQUIRE(gan::parse_aggregate("auto:3").lambda == 3);
  REQUIRE(gan::parse_aggregate("softmean:0.1").lambda == 0.1);
  REQUIRE_THROWS_WITH(gan::parse_aggregate("median"),
                      Catch::Contains("unknown aggregate 'median'") &&
                          Catch::Contains("mean, max, softmean:lambda or auto"));
  REQUIRE_THROWS_WITH(gan::parse_aggregate("softmean"), Catch::Contains("unknown aggregate"));
  REQUIRE_THROWS_WITH(gan::parse_aggregate("softmean:x"), Catch::Contains("'x' is not a number"));
  REQUIRE_THROWS_WITH(gan::parse_aggregate("softmean:-1"), Catch::Contains("[0, 1e6]"));
  REQUIRE_THROWS_WITH(gan::parse_aggregate("auto:1,2,3,4"), Catch::Contains("at most"));
  REQUIRE_THROWS_WITH(gan::parse_aggregate("max:2"), Catch::Contains("unknown aggregate"));
}

TEST_CASE("Every aggregate's dF/dL_k matches finite differences",
          "[models][aggregate][gradcheck]") {
  gan::Rng rng(4);
  for (const char* name : every_aggregate) {
    for (const std::size_t k : {1, 2, 3, 5}) {
      INFO(name << ", K = " << k);
      gan::Aggregate a(gan::parse_aggregate(name), k);
      Tensor<double> losses({static_cast<gan::index_t>(k)});
      // Distinct losses, at least 0.05 apart, so that max is differentiable at them.
      for (gan::index_t i = 0; i < losses.size(); ++i)
        losses[i] = 0.3 + 0.4 * static_cast<double>(i) + 0.3 * rng.uniform();
      std::swap(losses[0], losses[losses.size() - 1]);  // the largest is not last
      auto f = [&](const Tensor<double>& l, Tensor<double>& grad) {
        const double v = a.combine(as_vector(l));
        for (gan::index_t i = 0; i < l.size(); ++i) grad[i] = a.weights()[i];
        return v;
      };
      const auto r = gan::testing::check_function_gradient(f, losses);
      INFO(r.report);
      REQUIRE(r.ok);
    }
  }
}

TEST_CASE("softmean interpolates between the mean and the max", "[models][aggregate]") {
  const std::vector<double> l = {0.5, 2.0, 1.0};
  gan::Aggregate mean(gan::parse_aggregate("mean"), 3), max(gan::parse_aggregate("max"), 3);
  REQUIRE(mean.combine(l) == Approx(3.5 / 3));
  REQUIRE(max.combine(l) == 2.0);
  REQUIRE(max.weights() == std::vector<double>{0, 1, 0});
  gan::Aggregate soft0(gan::parse_aggregate("softmean:0"), 3);
  REQUIRE(soft0.combine(l) == Approx(3.5 / 3));
  gan::Aggregate soft_large(gan::parse_aggregate("softmean:200"), 3);
  REQUIRE(soft_large.combine(l) == Approx(2.0));
  gan::Aggregate soft1(gan::parse_aggregate("softmean:1"), 3);
  const double f1 = soft1.combine(l);
  REQUIRE(f1 > 3.5 / 3);
  REQUIRE(f1 < 2.0);
  double total = 0;
  for (double w : soft1.mixture()) total += w;
  REQUIRE(total == Approx(1.0));
  // Huge λ L_k: the shifted softmax neither overflows nor divides by zero.
  gan::Aggregate huge(gan::parse_aggregate("softmean:1000000"), 3);
  REQUIRE(huge.combine({1e3, 2e3, 1.5e3}) == 2e3);
}

TEST_CASE("auto's dJ/dlambda matches finite differences and its step descends it",
          "[models][aggregate][gradcheck]") {
  const std::vector<double> l = {0.4, 1.7, 0.9};
  for (const double lambda : {0.05, 0.3, 1.0, 4.0}) {
    INFO("lambda " << lambda);
    const double reward = 0.05, h = 1e-6;
    auto options = gan::parse_aggregate("auto:1,0.5,0.05");
    auto j = [&](double lam) {
      options.lambda = lam;
      gan::Aggregate a(options, 3);
      return a.combine(l) - reward * lam;
    };
    options.lambda = lambda;
    gan::Aggregate a(options, 3);
    const double before = a.combine(l) - reward * lambda;
    const double numeric = (j(lambda + h) - j(lambda - h)) / (2 * h);
    REQUIRE(a.lambda_gradient() == Approx(numeric).margin(1e-8).epsilon(1e-6));
    // dJ/dλ = Var_w(L) - c: λ moves against it, and J goes down.
    const double gradient = a.lambda_gradient();
    a.update();
    REQUIRE(a.lambda() == std::max(0.0, lambda - 0.5 * gradient));
    REQUIRE(j(a.lambda()) < before);
  }
  // A step past 0 is projected back onto lambda >= 0.
  gan::Aggregate steep(gan::parse_aggregate("auto:0.01,100,0"), 3);
  steep.combine(l);
  steep.update();
  REQUIRE(steep.lambda() == 0);
  // Losses that agree: Var_w(L) = 0 < c, so the reward raises λ (towards the max).
  gan::Aggregate agree(gan::parse_aggregate("auto:1,1,0.01"), 2);
  agree.combine({0.8, 0.8});
  REQUIRE(agree.lambda_gradient() == Approx(-0.01));
  agree.update();
  REQUIRE(agree.lambda() == Approx(1.01));
  // Other aggregates have no λ to learn.
  gan::Aggregate soft(gan::parse_aggregate("softmean:2"), 2);
  soft.combine({0.1, 0.9});
  soft.update();
  REQUIRE(soft.lambda() == 2);
}

namespace {

/// Three small discriminators of different architectures, in double, for gradient checks.
struct Critics {
  gan::Discriminator<
      gan::Sequential<gan::Flatten<double>, gan::Dense<double>, gan::LeakyReLU<double>,
                      gan::Dense<double>, gan::Sigmoid<double>>>
      mlp{gan::Sequential{gan::Flatten<double>(), gan::Dense<double>(2 * 6 * 6, 5),
                          gan::LeakyReLU<double>(0.2), gan::Dense<double>(5, 1),
                          gan::Sigmoid<double>()}};
  gan::Discriminator<gan::Sequential<gan::Conv2d<double>, gan::LeakyReLU<double>,
                                     gan::Flatten<double>, gan::Dense<double>>>
      conv{gan::Sequential{gan::Conv2d<double>(2, 3, 3, 2, 1), gan::LeakyReLU<double>(0.2),
                           gan::Flatten<double>(), gan::Dense<double>(3 * 3 * 3, 1)},
           0, gan::Output::logits};
  gan::Discriminator<gan::Sequential<gan::AvgPool2d<double>, gan::Flatten<double>,
                                     gan::Dense<double>, gan::Sigmoid<double>>>
      half{gan::Sequential{gan::AvgPool2d<double>(2), gan::Flatten<double>(),
                           gan::Dense<double>(2 * 3 * 3, 1), gan::Sigmoid<double>()}};
  std::vector<std::unique_ptr<gan::AnyDiscriminator<double>>> all;
  Critics() {
    all.push_back(gan::erase_discriminator_ref(mlp));
    all.push_back(gan::erase_discriminator_ref(conv));
    all.push_back(gan::erase_discriminator_ref(half));
    for (auto& d : all) d->set_requires_grad(false);
  }
};

}  // namespace

TEST_CASE("The generator's gradient through K discriminators and the aggregate is exact",
          "[models][aggregate][gradcheck]") {
  gan::manual_seed(7);
  Critics critics;
  gan::Rng rng(8);
  Tensor<double> fake({3, 2, 6, 6});
  rng.fill_uniform(fake, 0.0, 1.0);
  for (const char* name : every_aggregate) {
    for (const gan::Loss loss : {gan::Loss::bce, gan::Loss::lsgan}) {
      INFO(name << ", " << gan::to_string(loss));
      gan::Aggregate a(gan::parse_aggregate(name), critics.all.size());
      std::vector<double> losses(critics.all.size());
      std::vector<const Tensor<double>*> grads(critics.all.size());
      std::vector<Tensor<double>> score_grads(critics.all.size());
      // L_G = F(L_1(D_1(x)), ..., L_K(D_K(x))), its gradient as the Trainer forms it.
      auto f = [&](const Tensor<double>& x, Tensor<double>& grad) {
        for (std::size_t k = 0; k < critics.all.size(); ++k) {
          auto& d = *critics.all[k];
          losses[k] = gan::generator_loss(loss, d.output(), d.forward(x), score_grads[k]);
          grads[k] = &d.backward(score_grads[k]);
        }
        return a.combine(losses, grads, grad);
      };
      const auto r = gan::testing::check_function_gradient(f, fake);
      INFO(r.report);
      REQUIRE(r.ok);
    }
  }
}

TEST_CASE("Aggregate refuses a wrong number of losses or gradients",
          "[models][aggregate][errors]") {
  gan::Aggregate a(gan::parse_aggregate("mean"), 3);
  REQUIRE_THROWS_WITH(a.combine({1.0, 2.0}), Catch::Contains("2 losses for 3 discriminators"));
  Tensor<float> g1({2, 3}), g2({2, 3}), g3({3, 2}), out;
  REQUIRE_THROWS_WITH(a.combine<float>({1.0, 2.0, 3.0}, {&g1, &g2}, out),
                      Catch::Contains("2 gradients for 3"));
  REQUIRE_THROWS_WITH(a.combine<float>({1.0, 2.0, 3.0}, {&g1, &g2, &g3}, out),
                      Catch::Contains("gradient 2 is [3, 2], gradient 0 [2, 3]"));
  REQUIRE_THROWS_WITH(gan::Aggregate(gan::parse_aggregate("max"), 0),
                      Catch::Contains("at least one"));
  REQUIRE_THROWS_WITH(a.set_lambda(-1), Catch::Contains("lambda"));
}

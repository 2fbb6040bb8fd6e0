#include "gan/eval/class_stats.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

namespace {
// Logits log(p): softmax gives back p exactly up to rounding.
gan::Tensor<double> logits_of(const std::vector<std::vector<double>>& probabilities) {
  const auto n = static_cast<gan::index_t>(probabilities.size());
  const auto c = static_cast<gan::index_t>(probabilities[0].size());
  gan::Tensor<double> t({n, c});
  for (gan::index_t i = 0; i < n; ++i)
    for (gan::index_t j = 0; j < c; ++j)
      t(i, j) = std::log(probabilities[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)]);
  return t;
}
}  // namespace

TEST_CASE("class_stats on known probabilities", "[eval][class_stats]") {
  const auto logits =
      logits_of({{0.95, 0.03, 0.02}, {0.1, 0.8, 0.1}, {0.2, 0.2, 0.6}, {0.97, 0.02, 0.01}});
  const auto s = gan::eval::class_stats(logits, {0, 1, 0, 0});
  REQUIRE(s.count == 4);
  REQUIRE(s.classes == 3);
  REQUIRE(s.shares == std::vector<double>{0.5, 0.25, 0.25});
  REQUIRE(s.coverage == 3);
  REQUIRE(s.entropy == Approx(-(0.5 * std::log(0.5) + 0.5 * std::log(0.25))));
  REQUIRE(s.mean_confidence == Approx((0.95 + 0.8 + 0.6 + 0.97) / 4));
  REQUIRE(s.confident_share == 0.5);
  REQUIRE(s.label_agreement == 0.75);
  // Without labels there is no agreement; a float tensor gives the same statistics.
  const auto u = gan::eval::class_stats(logits);
  REQUIRE(u.label_agreement == -1);
  gan::Tensor<float> f(logits.shape());
  for (gan::index_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(logits[i]);
  REQUIRE(gan::eval::class_stats(f).mean_confidence == Approx(s.mean_confidence).epsilon(1e-6));
}

TEST_CASE("class_stats: coverage ignores classes below a fifth of their fair share",
          "[eval][class_stats]") {
  // 100 samples of 4 classes (fair share 25 %, threshold 5 %): 90 of class 0, 6 of
  // class 1, 4 of class 2, none of class 3 -> 2 classes present; entropy of (.9, .06, .04).
  std::vector<std::vector<double>> p;
  for (int i = 0; i < 100; ++i) {
    const int c = i < 90 ? 0 : i < 96 ? 1 : 2;
    std::vector<double> row(4, 0.1);
    row[static_cast<std::size_t>(c)] = 0.7;
    p.push_back(row);
  }
  const auto s = gan::eval::class_stats(logits_of(p));
  REQUIRE(s.coverage == 2);
  REQUIRE(s.entropy ==
          Approx(-(0.9 * std::log(0.9) + 0.06 * std::log(0.06) + 0.04 * std::log(0.04))));
  REQUIRE(s.confident_share == 0);
  REQUIRE(s.mean_confidence == Approx(0.7));
  gan::eval::ClassStatsOptions o;
  o.min_share_of_uniform = 0;  // any sample makes its class present
  REQUIRE(gan::eval::class_stats(logits_of(p), {}, o).coverage == 3);
  o.confidence_threshold = 0.7 - 1e-9;
  REQUIRE(gan::eval::class_stats(logits_of(p), {}, o).confident_share == 1);
}

TEST_CASE("class_stats: uniform classes have entropy ln C; ties go to the lowest class",
          "[eval][class_stats]") {
  gan::Tensor<double> logits({10, 10});
  for (gan::index_t i = 0; i < 10; ++i) logits(i, i) = 50;  // confident, one per class
  auto s = gan::eval::class_stats(logits);
  REQUIRE(s.entropy == Approx(std::log(10.0)));
  REQUIRE(s.coverage == 10);
  REQUIRE(s.mean_confidence == Approx(1));
  logits.zero();  // all tied: class 0, confidence 1/10
  s = gan::eval::class_stats(logits);
  REQUIRE(s.shares[0] == 1);
  REQUIRE(s.entropy == 0);
  REQUIRE(s.coverage == 1);
  REQUIRE(s.mean_confidence == Approx(0.1));
  // Large logits stay finite (the softmax is shifted by the row's maximum).
  logits(3, 7) = 1e30;
  REQUIRE(gan::eval::class_stats(logits).mean_confidence == Approx((9 * 0.1 + 1) / 10));
}

TEST_CASE("class_stats rejects bad input with a clear message", "[eval][class_stats]") {
  gan::Tensor<double> flat({5}), one_class({3, 1}), logits({3, 4});
  REQUIRE_THROWS_AS(gan::eval::class_stats(flat), gan::Error);
  REQUIRE_THROWS_WITH(gan::eval::class_stats(flat),
                      Catch::Contains("expected logits [N >= 1, C >= 2], got [5]"));
  REQUIRE_THROWS_WITH(gan::eval::class_stats(one_class), Catch::Contains("got [3, 1]"));
  REQUIRE_THROWS_WITH(gan::eval::class_stats(logits, {0, 1}),
                      Catch::Contains("3 samples but 2 labels"));
  REQUIRE_THROWS_WITH(gan::eval::class_stats(logits, {0, 4, 1}),
                      Catch::Contains("label 1 is 4, expected a class in [0, 4)"));
  logits(2, 1) = std::nan("");
  REQUIRE_THROWS_WITH(gan::eval::class_stats(logits),
                      Catch::Contains("logit [2, 1] is not finite"));
}

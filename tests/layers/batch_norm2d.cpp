#include "gan/layers/batch_norm2d.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/testing/layer_contract.hpp"
#include "support.hpp"

static_assert(gan::is_layer_v<gan::BatchNorm2d<float>> && gan::is_layer_v<gan::BatchNorm2d<double>>,
              "BatchNorm2d must meet the layer interface");

namespace {

using gan::index_t;
using gan::Tensor;
using test_support::same_bits;

// Values around a different offset per channel, so a mean mixed up between channels shows.
template <class T>
Tensor<T> input(const gan::Shape& shape, gan::Rng& rng) {
  Tensor<T> t(shape);
  for (index_t n = 0; n < shape[0]; ++n)
    for (index_t c = 0; c < shape[1]; ++c)
      for (index_t h = 0; h < shape[2]; ++h)
        for (index_t w = 0; w < shape[3]; ++w)
          t(n, c, h, w) = static_cast<T>(0.5 * static_cast<double>(c) - 0.3 + rng.uniform(-1, 1));
  return t;
}

// gamma and beta away from their 1 / 0 defaults, so a missing scale or shift shows.
template <class T>
void set_affine(gan::BatchNorm2d<T>& bn, gan::Rng& rng) {
  auto params = bn.parameters();
  rng.fill_uniform(params[0].value, 0.5, 1.5);
  rng.fill_uniform(params[1].value, -0.5, 0.5);
}

// Running statistics far from their 0 / 1 defaults and from the batch statistics.
template <class T>
void set_running(gan::BatchNorm2d<T>& bn, gan::Rng& rng) {
  auto buffers = bn.buffers();
  rng.fill_uniform(buffers[0].value, -0.7, 0.7);
  rng.fill_uniform(buffers[1].value, 0.4, 2.5);
}

// The statistics of channel c over N, H and W, in long double: the mean, the biased
// variance (divided by M) and the mean of |x|.
struct Stats {
  long double mean, var, abs_mean;
  index_t m;
};
template <class T>
Stats channel_stats(const Tensor<T>& x, index_t c) {
  const gan::Shape& s = x.shape();
  const index_t m = s[0] * s[2] * s[3];
  long double sum = 0, abs_sum = 0;
  for (index_t n = 0; n < s[0]; ++n)
    for (index_t h = 0; h < s[2]; ++h)
      for (index_t w = 0; w < s[3]; ++w) {
        sum += x(n, c, h, w);
        abs_sum += std::abs(x(n, c, h, w));
      }
  const long double mean = sum / m;
  long double sq = 0;
  for (index_t n = 0; n < s[0]; ++n)
    for (index_t h = 0; h < s[2]; ++h)
      for (index_t w = 0; w < s[3]; ++w) sq += (x(n, c, h, w) - mean) * (x(n, c, h, w) - mean);
  return {mean, sq / m, abs_sum / m, m};
}

// y = gamma (x - mean) / sqrt(var + eps) + beta against the layer's output, for the given
// statistics of each channel. The layer rounds each statistic in a sum of M terms
// (Higham 2002, eq. 4.4: (M - 1) eps of the absolute terms) and then evaluates
// x * scale + shift, a few roundings of its terms: (M + 8) eps of the terms bounds it all.
template <class T>
void require_normalised(const Tensor<T>& x, const Tensor<T>& y, gan::BatchNorm2d<T>& bn,
                        const std::vector<Stats>& stats, double eps) {
  auto params = bn.parameters();
  const long double ulp = std::numeric_limits<T>::epsilon();
  const gan::Shape& s = x.shape();
  REQUIRE(y.shape() == s);
  for (index_t c = 0; c < s[1]; ++c) {
    const Stats& st = stats[static_cast<std::size_t>(c)];
    const long double gamma = params[0].value[c], beta = params[1].value[c];
    const long double scale = gamma / std::sqrt(st.var + eps);
    for (index_t n = 0; n < s[0]; ++n)
      for (index_t h = 0; h < s[2]; ++h)
        for (index_t w = 0; w < s[3]; ++w) {
          const long double xv = x(n, c, h, w);
          const long double ref = (xv - st.mean) * scale + beta;
          const long double terms =
              std::abs(scale) * (std::abs(xv) + std::abs(st.mean) + st.abs_mean) + std::abs(beta);
          INFO("c = " << c << ", x = " << xv << ", ref = " << static_cast<double>(ref));
          REQUIRE(std::abs(y(n, c, h, w) - ref) <= (st.m + 8) * ulp * terms);
        }
  }
}

}  // namespace

TEST_CASE("BatchNorm2d meets the layer contract in training mode, gradients included",
          "[layers][batch_norm2d][contract]") {
  gan::Rng rng(21);
  // [4, 3, 5, 3]: batch and odd planes; [1, 3, 4, 5]: batch 1, the statistics come from
  // the plane alone; [5, 2, 1, 1]: plane 1, they come from the batch alone.
  for (const gan::Shape& s :
       {gan::Shape{4, 3, 5, 3}, gan::Shape{1, 3, 4, 5}, gan::Shape{5, 2, 1, 1}}) {
    INFO("x " << s.str());
    gan::BatchNorm2d<double> bn(s[1]);
    set_affine(bn, rng);
    REQUIRE(bn.is_training());
    const auto r = gan::testing::check_layer_contract(bn, input<double>(s, rng), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    gan::BatchNorm2d<float> bn_f(s[1]);
    set_affine(bn_f, rng);
    set_running(bn_f, rng);
    bn_f.train(bn.is_training());
    const auto rf = gan::testing::check_layer_contract(bn_f, input<float>(s, rng), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEST_CASE("BatchNorm2d meets the layer contract in eval mode, gradients included",
          "[layers][batch_norm2d][contract]") {
  gan::Rng rng(22);
  // In eval mode even a single value per channel is fine ([1, 3, 1, 1]).
  for (const gan::Shape& s :
       {gan::Shape{4, 3, 5, 3}, gan::Shape{1, 3, 1, 1}, gan::Shape{2, 1, 3, 4}}) {
    INFO("x " << s.str());
    gan::BatchNorm2d<double> bn(s[1]);
    set_affine(bn, rng);
    set_running(bn, rng);
    bn.eval();
    REQUIRE_FALSE(bn.is_training());
    const auto r = gan::testing::check_layer_contract(bn, input<double>(s, rng), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    gan::BatchNorm2d<float> bn_f(s[1]);
    set_affine(bn_f, rng);
    set_running(bn_f, rng);
    bn_f.train(bn.is_training());
    const auto rf = gan::testing::check_layer_contract(bn_f, input<float>(s, rng), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEMPLATE_TEST_CASE(
    "BatchNorm2d training forward normalises with the batch mean and biased variance",
    "[layers][batch_norm2d]", float, double) {
  using T = TestType;
  gan::Rng rng(23);
  for (const gan::Shape& s :
       {gan::Shape{4, 3, 5, 3}, gan::Shape{1, 2, 6, 7}, gan::Shape{8, 4, 1, 1}}) {
    INFO("x " << s.str());
    gan::BatchNorm2d<T> bn(s[1]);
    set_affine(bn, rng);
    set_running(bn, rng);  // must be ignored in training mode
    const Tensor<T> x = input<T>(s, rng);
    std::vector<Stats> stats;
    for (index_t c = 0; c < s[1]; ++c) stats.push_back(channel_stats(x, c));
    require_normalised(x, bn.forward(x), bn, stats, 1e-5);
  }
  // A different eps is used (PyTorch adds eps to the variance, inside the square root).
  gan::BatchNorm2d<T> wide(2, 0.5);
  const Tensor<T> x = input<T>({3, 2, 2, 2}, rng);
  require_normalised(x, wide.forward(x), wide, {channel_stats(x, 0), channel_stats(x, 1)}, 0.5);
}

TEMPLATE_TEST_CASE("BatchNorm2d eval forward normalises with the running statistics",
                   "[layers][batch_norm2d]", float, double) {
  using T = TestType;
  gan::Rng rng(24);
  gan::BatchNorm2d<T> bn(3);
  set_affine(bn, rng);
  set_running(bn, rng);
  bn.eval();
  auto buffers = bn.buffers();
  const Tensor<T> mean_before = buffers[0].value, var_before = buffers[1].value;
  const Tensor<T> x = input<T>({4, 3, 5, 3}, rng);
  std::vector<Stats> stats;
  for (index_t c = 0; c < 3; ++c)
    stats.push_back({buffers[0].value[c], buffers[1].value[c], channel_stats(x, c).abs_mean, 1});
  require_normalised(x, bn.forward(x), bn, stats, 1e-5);
  // Eval mode leaves the running statistics alone.
  REQUIRE(same_bits(buffers[0].value, mean_before));
  REQUIRE(same_bits(buffers[1].value, var_before));

  // Back in training mode the batch statistics are used again.
  bn.train();
  std::vector<Stats> batch;
  for (index_t c = 0; c < 3; ++c) batch.push_back(channel_stats(x, c));
  require_normalised(x, bn.forward(x), bn, batch, 1e-5);
}

TEMPLATE_TEST_CASE(
    "BatchNorm2d running statistics follow PyTorch's update with the unbiased variance",
    "[layers][batch_norm2d]", float, double) {
  using T = TestType;
  const long double ulp = std::numeric_limits<T>::epsilon();
  gan::Rng rng(25);
  for (const double momentum : {0.1, 0.3}) {
    INFO("momentum " << momentum);
    gan::BatchNorm2d<T> bn(3, 1e-5, momentum);
    set_affine(bn, rng);
    // running = (1 - m) running + m stat, from PyTorch's 0 / 1, with the variance of the
    // batch divided by M - 1 (torch.nn.BatchNorm2d documentation). M = 2 * 4 * 3 = 24 here,
    // so the biased variance would be off by 4%.
    std::vector<long double> mean(3, 0.0L), var(3, 1.0L);
    for (int step = 0; step < 2; ++step) {
      const Tensor<T> x = input<T>({2, 3, 4, 3}, rng);
      bn.forward(x);
      for (std::size_t c = 0; c < 3; ++c) {
        const Stats st = channel_stats(x, static_cast<index_t>(c));
        mean[c] = (1 - momentum) * mean[c] + momentum * st.mean;
        var[c] = (1 - momentum) * var[c] + momentum * st.var * st.m / (st.m - 1);
      }
    }
    auto buffers = bn.buffers();
    for (index_t c = 0; c < 3; ++c) {
      const std::size_t cc = static_cast<std::size_t>(c);
      // Each batch statistic carries (M + 3) eps of rounding (the sums above); the update
      // adds a few more.
      REQUIRE(std::abs(buffers[0].value[c] - mean[cc]) <= 40 * ulp * (std::abs(mean[cc]) + 1));
      REQUIRE(std::abs(buffers[1].value[c] - var[cc]) <= 40 * ulp * var[cc]);
    }
  }
}

TEMPLATE_TEST_CASE("BatchNorm2d parameters and buffers: names, shapes, PyTorch's initial values",
                   "[layers][batch_norm2d]", float, double) {
  using T = TestType;
  gan::BatchNorm2d<T> bn(5);
  REQUIRE(bn.name() == "BatchNorm2d(5)");
  auto params = bn.parameters();
  REQUIRE(params.size() == 2);
  REQUIRE(params[0].name == "weight");
  REQUIRE(params[1].name == "bias");
  auto buffers = bn.buffers();
  REQUIRE(buffers.size() == 2);
  REQUIRE(buffers[0].name == "running_mean");
  REQUIRE(buffers[1].name == "running_var");
  for (auto& p : params) {
    REQUIRE(p.value.shape() == gan::Shape{5});
    REQUIRE(p.grad.shape() == gan::Shape{5});
    for (T g : p.grad) REQUIRE(g == 0);
  }
  for (auto& b : buffers) REQUIRE(b.value.shape() == gan::Shape{5});
  for (index_t c = 0; c < 5; ++c) {
    REQUIRE(params[0].value[c] == T(1));
    REQUIRE(params[1].value[c] == T(0));
    REQUIRE(buffers[0].value[c] == T(0));
    REQUIRE(buffers[1].value[c] == T(1));
  }
  REQUIRE(bn.output_shape({2, 5, 3, 4}) == gan::Shape{2, 5, 3, 4});
}

TEST_CASE("BatchNorm2d rejects bad shapes with the expected and actual shape",
          "[layers][batch_norm2d][errors]") {
  gan::BatchNorm2d<float> bn(3);
  const auto name = Catch::Contains("BatchNorm2d(3)");
  const auto expected = Catch::Contains("[N, 3, H, W]");

  const Tensor<float> wrong_channels({2, 4, 5, 5});
  REQUIRE_THROWS_AS(bn.forward(wrong_channels), gan::Error);
  REQUIRE_THROWS_WITH(bn.forward(wrong_channels),
                      name && expected && Catch::Contains("[2, 4, 5, 5]"));
  const Tensor<float> flat({2, 3});
  REQUIRE_THROWS_WITH(bn.forward(flat), name && expected && Catch::Contains("got [2, 3]"));
  REQUIRE_THROWS_WITH(bn.output_shape({2, 3, 5}), name && expected && Catch::Contains("[2, 3, 5]"));

  // One value per channel has no variance to normalise by (PyTorch refuses it too).
  const Tensor<float> single({1, 3, 1, 1});
  REQUIRE_THROWS_WITH(bn.forward(single), name && Catch::Contains("[1, 3, 1, 1]"));
  bn.eval();
  REQUIRE_NOTHROW(bn.forward(single));
  bn.train();

  gan::BatchNorm2d<float> fresh(3);
  REQUIRE_THROWS_AS(fresh.backward(Tensor<float>({2, 3, 4, 4})), gan::Error);
  REQUIRE_THROWS_WITH(fresh.backward(Tensor<float>({2, 3, 4, 4})), name);
  const Tensor<float> x({2, 3, 4, 4});
  fresh.forward(x);
  REQUIRE_THROWS_WITH(fresh.backward(Tensor<float>({2, 3, 4, 5})),
                      name && Catch::Contains("[2, 3, 4, 4]") && Catch::Contains("[2, 3, 4, 5]"));
}

TEST_CASE("BatchNorm2d rejects bad options", "[layers][batch_norm2d][errors]") {
  REQUIRE_THROWS_AS(gan::BatchNorm2d<float>(0), gan::Error);
  REQUIRE_THROWS_WITH(gan::BatchNorm2d<float>(0), Catch::Contains("BatchNorm2d(0)"));
  REQUIRE_THROWS_AS(gan::BatchNorm2d<double>(-3), gan::Error);
  REQUIRE_THROWS_AS(gan::BatchNorm2d<float>(3, 0.0), gan::Error);
  REQUIRE_THROWS_AS(gan::BatchNorm2d<float>(3, -1e-5), gan::Error);
  REQUIRE_THROWS_AS(gan::BatchNorm2d<float>(3, 1e-5, 1.5), gan::Error);
  REQUIRE_THROWS_AS(gan::BatchNorm2d<float>(3, 1e-5, -0.1), gan::Error);
  REQUIRE_NOTHROW(gan::BatchNorm2d<float>(3, 1e-3, 1.0));
}

TEMPLATE_TEST_CASE("BatchNorm2d backward in place gives backward's bits, train and eval",
                   "[layers][batch_norm2d][memory]", float, double) {
  gan::Rng rng(21);
  for (const bool training : {true, false}) {
    INFO("training " << training);
    gan::BatchNorm2d<TestType> bn(3), twin(3);
    bn.train(training);
    twin.train(training);
    const Tensor<TestType> x = test_support::random_tensor<TestType>({4, 3, 5, 3}, rng);
    const Tensor<TestType> dy = test_support::random_tensor<TestType>({4, 3, 5, 3}, rng);
    bn.forward(x);
    twin.forward(x);
    const Tensor<TestType> dx = bn.backward(dy);
    Tensor<TestType> in_place = dy;
    const Tensor<TestType>* out = &twin.backward_in_place(in_place);
    REQUIRE(out == &in_place);
    REQUIRE(test_support::same_bits(in_place, dx));
    auto p = bn.parameters(), q = twin.parameters();
    for (std::size_t i = 0; i < p.size(); ++i)
      REQUIRE(test_support::same_bits(p[i].grad, q[i].grad));
    Tensor<TestType> wrong({4, 2, 5, 3});
    REQUIRE_THROWS_WITH(twin.backward_in_place(wrong), Catch::Contains("BatchNorm2d(3): backward"));
  }
}

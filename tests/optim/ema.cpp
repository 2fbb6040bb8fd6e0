#include "gan/optim/ema.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/core/rng.hpp"
#include "gan/layers/batch_norm2d.hpp"
#include "gan/layers/conv_transpose2d.hpp"
#include "gan/layers/dense.hpp"
#include "gan/layers/init.hpp"
#include "gan/layers/relu.hpp"
#include "gan/layers/sequential.hpp"
#include "gan/layers/spectral_norm.hpp"

namespace {

using gan::index_t;
using gan::Tensor;

template <class T>
bool same_bits(const Tensor<T>& a, const Tensor<T>& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}

template <class T>
auto small_generator() {
  return gan::Sequential{gan::ConvTranspose2d<T>(3, 2, 3, 2, 1), gan::BatchNorm2d<T>(2),
                         gan::ReLU<T>(), gan::spectral_norm(gan::ConvTranspose2d<T>(2, 1, 4))};
}

}  // namespace

TEMPLATE_TEST_CASE("Ema averages with known numbers", "[optim][ema]", float, double) {
  using T = TestType;
  gan::Dense<T> source(2, 1), target(2, 1);
  auto sp = source.parameters();
  sp[0].value[0] = T(1);
  sp[0].value[1] = T(2);
  sp[1].value[0] = T(3);
  for (auto& p : target.parameters()) p.value.zero();
  gan::Ema<T> ema = gan::make_ema(source, target, {0.5, false});
  REQUIRE(ema.current_decay() == 0.5);
  // target = 0.5 * target + 0.5 * source: 0 -> 0.5 s -> 0.75 s -> 0.875 s (exact in binary).
  const auto tp = target.parameters();
  for (const double expected : {0.5, 0.75, 0.875}) {
    ema.update();
    REQUIRE(tp[0].value[0] == T(expected * 1));
    REQUIRE(tp[0].value[1] == T(expected * 2));
    REQUIRE(tp[1].value[0] == T(expected * 3));
  }
  REQUIRE(ema.steps() == 3);
  // The source is only read.
  REQUIRE(sp[0].value[0] == T(1));
  // decay 1 freezes the average, decay 0 copies.
  gan::Ema<T> frozen = gan::make_ema(source, target, {1.0, false});
  frozen.update();
  REQUIRE(tp[0].value[1] == T(1.75));
  gan::Ema<T> copy = gan::make_ema(source, target, {0.0, false});
  copy.update();
  REQUIRE(tp[0].value[1] == T(2));
}

TEST_CASE("Ema warm-up follows min(decay, (1 + t) / (10 + t))", "[optim][ema]") {
  gan::Dense<double> source(1, 1, false), target(1, 1, false);
  source.parameters()[0].value[0] = 1;
  target.parameters()[0].value[0] = 0;
  gan::Ema<double> ema = gan::make_ema(source, target, {0.999, true});
  double expected = 0;
  for (int t = 0; t < 5; ++t) {
    const double d = (1.0 + t) / (10.0 + t);  // 0.1, 0.1818.., 0.25, ...
    REQUIRE(ema.current_decay() == Approx(d).epsilon(1e-15));
    ema.update();
    expected = d * expected + (1 - d);
    REQUIRE(target.parameters()[0].value[0] == Approx(expected).epsilon(1e-15));
  }
  REQUIRE(target.parameters()[0].value[0] ==
          Approx(1 - 0.1 * (2.0 / 11) * 0.25 * (4.0 / 13) * (5.0 / 14)));
  ema.set_steps(100000);  // (1 + t) / (10 + t) > 0.999 from t = 8991 on
  REQUIRE(ema.current_decay() == 0.999);
  ema.set_steps(8990);
  REQUIRE(ema.current_decay() == Approx(8991.0 / 9000));
  REQUIRE_THROWS_WITH(ema.set_steps(-1), Catch::Contains("Ema") && Catch::Contains("step count"));
}

TEST_CASE("Ema copies buffers and copy() starts the shadow as the source", "[optim][ema]") {
  gan::manual_seed(1);
  auto g = small_generator<float>();
  gan::manual_seed(2);
  auto shadow = small_generator<float>();
  gan::Rng rng(3);
  Tensor<float> z({4, 3, 3, 3});
  rng.fill_uniform(z, -1, 1);
  g.forward(z);  // moves the BatchNorm statistics and SpectralNorm's u, v
  gan::Ema<float> ema = gan::make_ema(g, shadow, {0.9, false});

  const auto gp = g.parameters(), sp = shadow.parameters();
  const auto gb = g.buffers(), sb = shadow.buffers();
  REQUIRE(gb.size() == 4);  // running_mean, running_var, weight_u, weight_v
  const Tensor<float> before = sp[0].value;
  ema.update();
  for (std::size_t i = 0; i < gb.size(); ++i) {
    INFO(gb[i].name);
    REQUIRE(same_bits(gb[i].value, sb[i].value));
  }
  for (index_t k = 0; k < before.size(); ++k)
    REQUIRE(sp[0].value[k] == Approx(0.9 * before[k] + 0.1 * gp[0].value[k]).epsilon(1e-6));

  ema.copy();
  for (std::size_t i = 0; i < gp.size(); ++i) REQUIRE(same_bits(gp[i].value, sp[i].value));
  g.eval();
  shadow.eval();
  REQUIRE(same_bits(g.forward(z), shadow.forward(z)));
  REQUIRE(ema.steps() == 1);  // copy() does not count as an update
}

TEST_CASE("Ema gives the same bits on 1 and 2 threads", "[optim][ema]") {
  const int saved = gan::num_threads();
  auto run = [](int threads) {
    gan::set_num_threads(threads);
    gan::manual_seed(5);
    gan::Dense<float> source(300, 70), target(300, 70);  // 21000 weights: several blocks
    gan::Rng rng(4);
    for (auto& p : source.parameters()) rng.fill_uniform(p.value, -1, 1);
    gan::Ema<float> ema = gan::make_ema(source, target);
    for (int i = 0; i < 3; ++i) ema.update();
    return Tensor<float>(target.parameters()[0].value);
  };
  const Tensor<float> one = run(1), two = run(2);
  gan::set_num_threads(saved);
  REQUIRE(same_bits(one, two));
}

TEST_CASE("Ema refuses networks that do not match", "[optim][ema][errors]") {
  gan::Dense<float> a(3, 2), b(4, 2), c(3, 2, false);
  REQUIRE_THROWS_AS(gan::make_ema(a, b), gan::Error);
  REQUIRE_THROWS_WITH(gan::make_ema(a, b), Catch::Contains("Ema") && Catch::Contains("'weight'") &&
                                               Catch::Contains("[2, 3]") &&
                                               Catch::Contains("[2, 4]"));
  REQUIRE_THROWS_WITH(gan::make_ema(a, c),
                      Catch::Contains("2 parameters") && Catch::Contains("target 1"));
  REQUIRE_THROWS_WITH(gan::make_ema(a, a), Catch::Contains("same tensor"));
  gan::Sequential s1{gan::Dense<float>(3, 2)};
  gan::Sequential s2{gan::spectral_norm(gan::Dense<float>(3, 2))};
  REQUIRE_THROWS_WITH(gan::Ema<float>(s1.parameters(), s1.buffers(), s2.parameters(), s2.buffers()),
                      Catch::Contains("'0.weight'") && Catch::Contains("'0.weight_orig'"));
  gan::Dense<float> d(3, 2);
  REQUIRE_THROWS_WITH(gan::make_ema(a, d, {1.5, false}),
                      Catch::Contains("Ema") && Catch::Contains("decay 1.5"));
}

#include "gan/optim/adam.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"

namespace {
template <class T>
gan::Tensor<T> uniform(gan::Shape s, double lo, double hi, std::uint64_t seed) {
  gan::Tensor<T> t(s);
  gan::Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  return t;
}

// The update written as a plain loop, one element at a time, straight from the formula
// in adam.hpp (PyTorch's order of operations, scalars computed in double).
template <class T>
void reference_step(gan::Tensor<T>& p, const gan::Tensor<T>& g, gan::Tensor<T>& m,
                    gan::Tensor<T>& v, const gan::AdamOptions& o, std::int64_t t) {
  const double bc1 = 1 - std::pow(o.beta1, double(t));
  const double bc2 = 1 - std::pow(o.beta2, double(t));
  for (gan::index_t i = 0; i < p.size(); ++i) {
    T grad = g[i];
    if (o.weight_decay != 0) grad = grad + T(o.weight_decay) * p[i];
    m[i] = m[i] * T(o.beta1) + T(1 - o.beta1) * grad;
    v[i] = v[i] * T(o.beta2) + T(1 - o.beta2) * grad * grad;
    const T denom = std::sqrt(v[i]) / T(std::sqrt(bc2)) + T(o.eps);
    p[i] = p[i] + T(-(o.lr / bc1)) * m[i] / denom;
  }
}

// Same operations in the same order agree to the last bit in a default build. A
// -march=native build may fuse a multiply-add in one loop and not the other, which moves
// a result by an ulp of its terms (values and moments here are O(1)), not of the result:
// hence an absolute slack of 16 ulps of 1 + |b|, far below any real error (>= 1e-4).
template <class T>
void require_close(const gan::Tensor<T>& a, const gan::Tensor<T>& b) {
  REQUIRE(a.size() == b.size());
  gan::index_t mismatches = 0, first = -1;
  for (gan::index_t i = 0; i < a.size(); ++i) {
    if (std::abs(a[i] - b[i]) > 16 * std::numeric_limits<T>::epsilon() * (1 + std::abs(b[i]))) {
      if (mismatches++ == 0) first = i;
    }
  }
  INFO("first mismatch at element " << first << " of " << a.size());
  REQUIRE(mismatches == 0);
}
}  // namespace

TEMPLATE_TEST_CASE("Adam: three steps of one scalar, derived by hand", "[optim][adam]", float,
                   double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-13;
  gan::Tensor<T> w({1}), g({1});
  w[0] = 1;
  gan::AdamOptions o;
  o.lr = 0.1;  // beta1 = 0.9, beta2 = 0.999, eps = 1e-8
  gan::Adam<T> adam({{"w", w, g}}, o);
  auto state = adam.state();
  gan::Tensor<T>& m = state[0].value;
  gan::Tensor<T>& v = state[1].value;

  // t = 1, g = 0.5: m = 0.1 * 0.5 = 0.05; v = 0.001 * 0.25 = 0.00025;
  // 1 - 0.9^1 = 0.1, 1 - 0.999^1 = 0.001; denom = sqrt(0.00025) / sqrt(0.001) + 1e-8
  // = 0.5 + 1e-8; w = 1 - (0.1 / 0.1) * 0.05 / denom = 0.900000002.
  g[0] = T(0.5);
  adam.step();
  REQUIRE(adam.steps() == 1);
  REQUIRE(m[0] == Approx(0.05).epsilon(tol));
  REQUIRE(v[0] == Approx(0.00025).epsilon(tol));
  const double w1 = 1 - 0.1 / 0.1 * 0.05 / (std::sqrt(0.00025 / 0.001) + 1e-8);
  REQUIRE(w1 == Approx(0.900000002).epsilon(1e-15));
  REQUIRE(w[0] == Approx(w1).epsilon(tol));

  // t = 2, g = -0.25: m = 0.9 * 0.05 + 0.1 * (-0.25) = 0.02;
  // v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225;
  // 1 - 0.9^2 = 0.19, 1 - 0.999^2 = 0.001999; w = w1 - (0.1 / 0.19) * 0.02 / denom.
  g[0] = T(-0.25);
  adam.step();
  REQUIRE(m[0] == Approx(0.02).epsilon(tol));
  REQUIRE(v[0] == Approx(0.00031225).epsilon(tol));
  const double w2 = w1 - 0.1 / 0.19 * 0.02 / (std::sqrt(0.00031225 / 0.001999) + 1e-8);
  REQUIRE(w[0] == Approx(w2).epsilon(tol));

  // t = 3, g = 1: m = 0.9 * 0.02 + 0.1 * 1 = 0.118;
  // v = 0.999 * 0.00031225 + 0.001 * 1 = 0.00131193775;
  // 1 - 0.9^3 = 0.271, 1 - 0.999^3 = 0.002997001; w = w2 - (0.1 / 0.271) * 0.118 / denom.
  g[0] = T(1);
  adam.step();
  REQUIRE(m[0] == Approx(0.118).epsilon(tol));
  REQUIRE(v[0] == Approx(0.00131193775).epsilon(tol));
  const double w3 = w2 - 0.1 / 0.271 * 0.118 / (std::sqrt(0.00131193775 / 0.002997001) + 1e-8);
  REQUIRE(w[0] == Approx(w3).epsilon(tol));
  // torch.optim.Adam([w], lr=0.1) with the same gradients (torch 1.13, float64) gives
  // 0.900000002, 0.8733662987078463, 0.8075551396770898.
  REQUIRE(w3 == Approx(0.8075551396770898).epsilon(1e-14));
  // The gradient is read, not changed.
  REQUIRE(g[0] == T(1));
}

TEST_CASE("Adam: weight decay is L2 added to the gradient, derived by hand", "[optim][adam]") {
  gan::Tensor<double> w({1}), g({1});
  w[0] = 1;
  gan::AdamOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.1;
  gan::Adam<double> adam({{"w", w, g}}, o);

  // t = 1: g' = 0.5 + 0.1 * 1 = 0.6; m = 0.06; v = 0.001 * 0.36 = 0.00036;
  // w = 1 - (0.1 / 0.1) * 0.06 / (sqrt(0.00036 / 0.001) + 1e-8) = 1 - 0.06 / 0.60000001.
  g[0] = 0.5;
  adam.step();
  const double w1 = 1 - 0.06 / (std::sqrt(0.00036 / 0.001) + 1e-8);
  REQUIRE(w[0] == Approx(w1).epsilon(1e-13));

  // t = 2: g' = -0.25 + 0.1 * w1; m = 0.9 * 0.06 + 0.1 g'; v = 0.999 * 0.00036 + 0.001 g'^2;
  // w = w1 - (0.1 / 0.19) * m / (sqrt(v / 0.001999) + 1e-8). (AdamW would instead
  // subtract lr * 0.1 * w1 and leave m, v alone.)
  g[0] = -0.25;
  adam.step();
  const double g2 = -0.25 + 0.1 * w1;
  const double m2 = 0.9 * 0.06 + 0.1 * g2, v2 = 0.999 * 0.00036 + 0.001 * g2 * g2;
  const double w2 = w1 - 0.1 / 0.19 * m2 / (std::sqrt(v2 / 0.001999) + 1e-8);
  REQUIRE(w[0] == Approx(w2).epsilon(1e-13));
  // torch.optim.Adam([w], lr=0.1, weight_decay=0.1) gives 0.8544413674617625 here.
  REQUIRE(w2 == Approx(0.8544413674617625).epsilon(1e-14));
  REQUIRE(adam.state()[0].value[0] == Approx(m2).epsilon(1e-13));
}

TEMPLATE_TEST_CASE("Adam: parameters of odd and large sizes match a scalar loop", "[optim][adam]",
                   float, double) {
  using T = TestType;
  // 37 is no multiple of any SIMD width (tail path); 33001 is above parallel_threshold,
  // so it is split across threads.
  const gan::index_t large = gan::Adam<T>::parallel_threshold + 233;
  for (const double decay : {0.0, 0.01}) {
    gan::AdamOptions o;
    o.lr = 0.01;
    o.weight_decay = decay;
    auto w = uniform<T>({37}, -1, 1, 1), b = uniform<T>({large}, -1, 1, 2);
    gan::Tensor<T> gw({37}), gb({large});
    auto w_ref = w, b_ref = b;
    gan::Tensor<T> mw({37}), vw({37}), mb({large}), vb({large});
    gan::Adam<T> adam({{"w", w, gw}, {"b", b, gb}}, o);
    for (int t = 1; t <= 5; ++t) {
      gw = uniform<T>({37}, -2, 2, 10 + t);
      gb = uniform<T>({large}, -2, 2, 20 + t);
      adam.step();
      reference_step(w_ref, gw, mw, vw, o, t);
      reference_step(b_ref, gb, mb, vb, o, t);
    }
    require_close(w, w_ref);
    require_close(b, b_ref);
    auto state = adam.state();
    require_close(state[0].value, mw);
    require_close(state[1].value, vw);
    require_close(state[2].value, mb);
    require_close(state[3].value, vb);
  }
}

TEMPLATE_TEST_CASE("Adam: state() names, and resuming from it continues identically",
                   "[optim][adam]", float, double) {
  using T = TestType;
  auto w = uniform<T>({37}, -1, 1, 3), b = uniform<T>({3}, -1, 1, 4);
  gan::Tensor<T> gw({37}), gb({3});
  gan::AdamOptions o;
  o.lr = 0.05;
  gan::Adam<T> first({{"w", w, gw}, {"b", b, gb}}, o);
  auto grads = [&](int t) {
    gw = uniform<T>({37}, -1, 1, 100 + t);
    gb = uniform<T>({3}, -1, 1, 200 + t);
  };
  for (int t = 0; t < 3; ++t) {
    grads(t);
    first.step();
  }

  auto state = first.state();
  REQUIRE(state.size() == 4);
  REQUIRE(state[0].name == "w.exp_avg");
  REQUIRE(state[1].name == "w.exp_avg_sq");
  REQUIRE(state[2].name == "b.exp_avg");
  REQUIRE(state[3].name == "b.exp_avg_sq");
  REQUIRE(state[0].value.shape() == w.shape());
  REQUIRE(state[3].value.shape() == b.shape());

  // What a checkpoint does: copy the parameters, the named moments and the step count
  // into a fresh optimiser over fresh tensors.
  auto w2 = w, b2 = b;
  gan::Tensor<T> gw2({37}), gb2({3});
  gan::Adam<T> resumed({{"w", w2, gw2}, {"b", b2, gb2}}, o);
  std::map<std::string, const gan::Tensor<T>*> saved;
  for (auto& s : state) saved[s.name] = &s.value;
  for (auto& s : resumed.state()) s.value.copy_from(*saved.at(s.name));
  resumed.set_steps(first.steps());
  REQUIRE(resumed.steps() == 3);
  // Without the step count the bias correction would differ: a control that can fail.
  auto w3 = w, b3 = b;
  gan::Tensor<T> gw3({37}), gb3({3});
  gan::Adam<T> no_steps({{"w", w3, gw3}, {"b", b3, gb3}}, o);
  for (auto& s : no_steps.state()) s.value.copy_from(*saved.at(s.name));

  for (int t = 3; t < 5; ++t) {
    grads(t);
    gw2 = gw, gb2 = gb, gw3 = gw, gb3 = gb;
    first.step();
    resumed.step();
    no_steps.step();
  }
  for (gan::index_t i = 0; i < w.size(); ++i) REQUIRE(w2[i] == w[i]);
  for (gan::index_t i = 0; i < b.size(); ++i) REQUIRE(b2[i] == b[i]);
  bool differs = false;
  for (gan::index_t i = 0; i < w.size(); ++i) differs |= w3[i] != w[i];
  REQUIRE(differs);
}

TEST_CASE("Adam: zero_grad zeroes every gradient, set_lr and options", "[optim][adam]") {
  auto w = uniform<float>({37}, -1, 1, 5), b = uniform<float>({4}, -1, 1, 6);
  auto gw = uniform<float>({37}, -1, 1, 7), gb = uniform<float>({4}, -1, 1, 8);
  gan::Adam<float> adam({{"w", w, gw}, {"b", b, gb}});
  REQUIRE(adam.options().lr == 1e-3);
  REQUIRE(adam.options().beta2 == 0.999);
  adam.zero_grad();
  for (float v : gw) REQUIRE(v == 0);
  for (float v : gb) REQUIRE(v == 0);

  // lr = 0: the moments move but the parameters do not.
  gw.fill(1);
  adam.set_lr(0);
  REQUIRE(adam.options().lr == 0);
  const auto before = w;
  adam.step();
  for (gan::index_t i = 0; i < w.size(); ++i) REQUIRE(w[i] == before[i]);
  REQUIRE(adam.state()[0].value[0] == Approx(0.1f));
  REQUIRE_THROWS_AS(adam.set_lr(-1), gan::Error);
  REQUIRE_THROWS_AS(adam.set_steps(-1), gan::Error);
}

TEST_CASE("Adam: bad options and parameters throw gan::Error", "[optim][adam]") {
  gan::Tensor<double> w({3}), g({3}), bad_grad({4});
  auto with = [&](auto edit) {
    gan::AdamOptions o;
    edit(o);
    gan::Adam<double> adam({{"w", w, g}}, o);
  };
  REQUIRE_THROWS_WITH(with([](auto& o) { o.lr = -1; }),
                      Catch::Contains("Adam") && Catch::Contains("lr"));
  REQUIRE_THROWS_WITH(with([](auto& o) { o.beta1 = 1; }), Catch::Contains("beta1"));
  REQUIRE_THROWS_WITH(with([](auto& o) { o.beta2 = -0.1; }), Catch::Contains("beta2"));
  REQUIRE_THROWS_WITH(with([](auto& o) { o.eps = -1; }), Catch::Contains("eps"));
  REQUIRE_THROWS_WITH(with([](auto& o) { o.weight_decay = -1; }), Catch::Contains("weight_decay"));
  REQUIRE_THROWS_WITH(gan::Adam<double>({{"w", w, bad_grad}}),
                      Catch::Contains("'w'") && Catch::Contains("[3]") && Catch::Contains("[4]"));

  // A parameter resized behind the optimiser's back is caught, not overrun.
  gan::Adam<double> adam({{"w", w, g}});
  w.resize({5});
  g.resize({5});
  REQUIRE_THROWS_WITH(adam.step(), Catch::Contains("'w'") && Catch::Contains("[5]"));
}

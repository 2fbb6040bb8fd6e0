#include "gan/optim/sgd.hpp"

#include <catch2/catch.hpp>
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

// Runs three steps on one scalar w0 = 1 with gradients 0.5, -0.25, 1 and returns w after
// each step.
template <class T>
std::vector<double> three_steps(const gan::SGDOptions& o) {
  gan::Tensor<T> w({1}), g({1});
  w[0] = 1;
  gan::SGD<T> sgd({{"w", w, g}}, o);
  std::vector<double> out;
  for (const double grad : {0.5, -0.25, 1.0}) {
    g[0] = T(grad);
    sgd.step();
    out.push_back(w[0]);
  }
  REQUIRE(sgd.steps() == 3);
  REQUIRE(g[0] == T(1));  // the gradient is read, not changed
  return out;
}

// The update as a plain loop, one element at a time, from the formula in sgd.hpp.
template <class T>
void reference_step(gan::Tensor<T>& p, const gan::Tensor<T>& g, gan::Tensor<T>& buf,
                    const gan::SGDOptions& o, bool first) {
  for (gan::index_t i = 0; i < p.size(); ++i) {
    T d = g[i];
    if (o.weight_decay != 0) d = d + T(o.weight_decay) * p[i];
    if (o.momentum != 0) {
      buf[i] = first ? d : buf[i] * T(o.momentum) + T(1 - o.dampening) * d;
      d = o.nesterov ? d + T(o.momentum) * buf[i] : buf[i];
    }
    p[i] = p[i] + T(-o.lr) * d;
  }
}

// Agreement to 16 ulps of 1 + |b|: see the same helper in tests/optim/adam.cpp.
template <class T>
void require_close(const gan::Tensor<T>& a, const gan::Tensor<T>& b) {
  REQUIRE(a.size() == b.size());
  gan::index_t mismatches = 0, first = -1;
  for (gan::index_t i = 0; i < a.size(); ++i)
    if (std::abs(a[i] - b[i]) > 16 * std::numeric_limits<T>::epsilon() * (1 + std::abs(b[i])))
      if (mismatches++ == 0) first = i;
  INFO("first mismatch at element " << first << " of " << a.size());
  REQUIRE(mismatches == 0);
}
}  // namespace

TEMPLATE_TEST_CASE("SGD: three steps of one scalar, derived by hand", "[optim][sgd]", float,
                   double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
  gan::SGDOptions o;
  o.lr = 0.1;

  SECTION("plain") {
    // w = 1 - 0.1 * 0.5 = 0.95; 0.95 + 0.025 = 0.975; 0.975 - 0.1 = 0.875.
    const auto w = three_steps<T>(o);
    REQUIRE(w[0] == Approx(0.95).epsilon(tol));
    REQUIRE(w[1] == Approx(0.975).epsilon(tol));
    REQUIRE(w[2] == Approx(0.875).epsilon(tol));
  }
  SECTION("momentum 0.9") {
    // buf = 0.5 (first step: buf = g), w = 1 - 0.05 = 0.95;
    // buf = 0.9 * 0.5 - 0.25 = 0.2, w = 0.95 - 0.02 = 0.93;
    // buf = 0.9 * 0.2 + 1 = 1.18, w = 0.93 - 0.118 = 0.812.
    o.momentum = 0.9;
    const auto w = three_steps<T>(o);
    REQUIRE(w[0] == Approx(0.95).epsilon(tol));
    REQUIRE(w[1] == Approx(0.93).epsilon(tol));
    REQUIRE(w[2] == Approx(0.812).epsilon(tol));
  }
  SECTION("nesterov") {
    // Same buffers 0.5, 0.2, 1.18; the step uses d = g + 0.9 * buf:
    // d = 0.5 + 0.45 = 0.95, w = 0.905; d = -0.25 + 0.18 = -0.07, w = 0.912;
    // d = 1 + 1.062 = 2.062, w = 0.912 - 0.2062 = 0.7058.
    o.momentum = 0.9;
    o.nesterov = true;
    const auto w = three_steps<T>(o);
    REQUIRE(w[0] == Approx(0.905).epsilon(tol));
    REQUIRE(w[1] == Approx(0.912).epsilon(tol));
    REQUIRE(w[2] == Approx(0.7058).epsilon(tol));
  }
  SECTION("dampening 0.5") {
    // The first step copies g undamped (PyTorch clones d): buf = 0.5, w = 0.95;
    // buf = 0.9 * 0.5 + 0.5 * (-0.25) = 0.325, w = 0.9175;
    // buf = 0.9 * 0.325 + 0.5 * 1 = 0.7925, w = 0.83825.
    o.momentum = 0.9;
    o.dampening = 0.5;
    const auto w = three_steps<T>(o);
    REQUIRE(w[0] == Approx(0.95).epsilon(tol));
    REQUIRE(w[1] == Approx(0.9175).epsilon(tol));
    REQUIRE(w[2] == Approx(0.83825).epsilon(tol));
  }
  SECTION("weight decay 0.1") {
    // d = 0.5 + 0.1 * 1 = 0.6, w = 0.94; d = -0.25 + 0.094 = -0.156, w = 0.9556;
    // d = 1 + 0.09556 = 1.09556, w = 0.9556 - 0.109556 = 0.846044.
    o.weight_decay = 0.1;
    const auto w = three_steps<T>(o);
    REQUIRE(w[0] == Approx(0.94).epsilon(tol));
    REQUIRE(w[1] == Approx(0.9556).epsilon(tol));
    REQUIRE(w[2] == Approx(0.846044).epsilon(tol));
  }
  // torch.optim.SGD(lr=0.1, ...) gives the same sequences (torch 1.13, float64).
}

TEMPLATE_TEST_CASE("SGD: parameters of odd and large sizes match a scalar loop", "[optim][sgd]",
                   float, double) {
  using T = TestType;
  const gan::index_t large = gan::SGD<T>::parallel_threshold + 233;
  for (const bool nesterov : {false, true}) {
    gan::SGDOptions o;
    o.lr = 0.05;
    o.momentum = 0.9;
    o.weight_decay = 0.01;
    o.nesterov = nesterov;
    auto w = uniform<T>({37}, -1, 1, 1), b = uniform<T>({large}, -1, 1, 2);
    gan::Tensor<T> gw({37}), gb({large});
    auto w_ref = w, b_ref = b;
    gan::Tensor<T> bw({37}), bb({large});
    gan::SGD<T> sgd({{"w", w, gw}, {"b", b, gb}}, o);
    for (int t = 0; t < 4; ++t) {
      gw = uniform<T>({37}, -2, 2, 10 + t);
      gb = uniform<T>({large}, -2, 2, 20 + t);
      sgd.step();
      reference_step(w_ref, gw, bw, o, t == 0);
      reference_step(b_ref, gb, bb, o, t == 0);
    }
    require_close(w, w_ref);
    require_close(b, b_ref);
    auto state = sgd.state();
    require_close(state[0].value, bw);
    require_close(state[1].value, bb);
  }
}

TEMPLATE_TEST_CASE("SGD: state() names, and resuming from it continues identically", "[optim][sgd]",
                   float, double) {
  using T = TestType;
  auto w = uniform<T>({37}, -1, 1, 3), b = uniform<T>({3}, -1, 1, 4);
  gan::Tensor<T> gw({37}), gb({3});
  gan::SGDOptions o;
  o.lr = 0.05;
  o.momentum = 0.9;
  gan::SGD<T> first({{"w", w, gw}, {"b", b, gb}}, o);
  auto grads = [&](int t) {
    gw = uniform<T>({37}, -1, 1, 100 + t);
    gb = uniform<T>({3}, -1, 1, 200 + t);
  };
  for (int t = 0; t < 3; ++t) {
    grads(t);
    first.step();
  }
  auto state = first.state();
  REQUIRE(state.size() == 2);
  REQUIRE(state[0].name == "w.momentum_buffer");
  REQUIRE(state[1].name == "b.momentum_buffer");

  auto w2 = w, b2 = b;
  gan::Tensor<T> gw2({37}), gb2({3});
  gan::SGD<T> resumed({{"w", w2, gw2}, {"b", b2, gb2}}, o);
  std::map<std::string, const gan::Tensor<T>*> saved;
  for (auto& s : state) saved[s.name] = &s.value;
  for (auto& s : resumed.state()) s.value.copy_from(*saved.at(s.name));
  resumed.set_steps(first.steps());
  // Without the step count the next step would restart the buffer from g: a control.
  auto w3 = w, b3 = b;
  gan::Tensor<T> gw3({37}), gb3({3});
  gan::SGD<T> no_steps({{"w", w3, gw3}, {"b", b3, gb3}}, o);
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

TEST_CASE("SGD: no momentum keeps no state; zero_grad; set_lr", "[optim][sgd]") {
  auto w = uniform<float>({37}, -1, 1, 5), b = uniform<float>({4}, -1, 1, 6);
  auto gw = uniform<float>({37}, -1, 1, 7), gb = uniform<float>({4}, -1, 1, 8);
  gan::SGD<float> sgd({{"w", w, gw}, {"b", b, gb}});
  REQUIRE(sgd.state().empty());
  REQUIRE(sgd.options().lr == 1e-2);
  sgd.zero_grad();
  for (float v : gw) REQUIRE(v == 0);
  for (float v : gb) REQUIRE(v == 0);
  gw.fill(1);
  sgd.set_lr(0.5);
  REQUIRE(sgd.options().lr == 0.5);
  const auto before = w;
  sgd.step();
  for (gan::index_t i = 0; i < w.size(); ++i) REQUIRE(w[i] == before[i] - 0.5f);
  REQUIRE_THROWS_AS(sgd.set_lr(-1), gan::Error);
}

TEST_CASE("SGD: bad options and parameters throw gan::Error", "[optim][sgd]") {
  gan::Tensor<double> w({3}), g({3}), bad_grad({2, 3});
  auto with = [&](auto edit) {
    gan::SGDOptions o;
    edit(o);
    gan::SGD<double> sgd({{"w", w, g}}, o);
  };
  REQUIRE_THROWS_WITH(with([](auto& o) { o.lr = -1; }),
                      Catch::Contains("SGD") && Catch::Contains("lr"));
  REQUIRE_THROWS_WITH(with([](auto& o) { o.momentum = -0.5; }), Catch::Contains("momentum"));
  REQUIRE_THROWS_WITH(with([](auto& o) { o.weight_decay = -1; }), Catch::Contains("weight_decay"));
  REQUIRE_THROWS_WITH(with([](auto& o) { o.nesterov = true; }),
                      Catch::Contains("momentum") && Catch::Contains("nesterov"));
  REQUIRE_THROWS_WITH(with([](auto& o) {
                        o.nesterov = true;
                        o.momentum = 0.9;
                        o.dampening = 0.1;
                      }),
                      Catch::Contains("dampening"));
  REQUIRE_THROWS_WITH(gan::SGD<double>({{"w", w, bad_grad}}), Catch::Contains("'w'") &&
                                                                  Catch::Contains("[3]") &&
                                                                  Catch::Contains("[2, 3]"));
}

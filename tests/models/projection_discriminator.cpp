// The projection discriminator (Miyato & Koyama 2018): its scores against the formula
// psi(phi(x)) + <E[y], phi(x)>, its gradients against central differences for the image and
// every parameter (the embedding included), and its errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "gan/gan.hpp"

namespace {

// Odd sizes, a stride, padding and batch 3: a 5x7 image through a 3x3 stride-2 conv gives
// 2 x 3 x 4 = 24 features.
template <class T>
auto tiny_projection_d(gan::Output output) {
  return gan::ProjectionDiscriminator(
      gan::Sequential{
          gan::Sequential{gan::Conv2d<T>(2, 2, 3, 2, 1), gan::Tanh<T>(), gan::Flatten<T>()},
          gan::Dense<T>(2 * 3 * 4, 1)},
      4, output);
}

const std::vector<int> labels = {3, 0, 3};

// L = sum_i w_i D(x)_i, and its analytic gradients from one backward.
template <class D>
double loss(D& d, const gan::Tensor<double>& x, const gan::Tensor<double>& w) {
  const auto& y = d.forward(x, labels);
  double s = 0;
  for (gan::index_t i = 0; i < y.size(); ++i) s += y[i] * w[i];
  return s;
}

bool close(double analytic, double numeric) {
  // The tolerance of gan/testing/gradcheck.hpp, for step 1e-6 in double precision.
  return std::abs(analytic - numeric) <=
         1e-8 + 1e-6 * std::max(std::abs(analytic), std::abs(numeric));
}

template <class D>
void check_gradients(D& d) {
  gan::Rng rng(21);
  gan::Tensor<double> x({3, 2, 5, 7}), w({3, 1});
  rng.fill_uniform(x, -1, 1);
  rng.fill_uniform(w, -1, 1);
  // A larger embedding than N(0, 0.02), so that the projection term carries weight.
  rng.fill_uniform(d.embedding(), -0.5, 0.5);
  loss(d, x, w);
  d.zero_grad();
  const gan::Tensor<double> dx = d.backward(w);
  const double h = 1e-6;
  int checked = 0;
  for (gan::index_t i = 0; i < x.size(); ++i) {
    gan::Tensor<double> xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    const double numeric = (loss(d, xp, w) - loss(d, xm, w)) / (2 * h);
    INFO("dx[" << i << "]");
    REQUIRE(close(dx[i], numeric));
    ++checked;
  }
  // The parameters' analytic gradients, from a fresh forward and backward at x.
  loss(d, x, w);
  d.zero_grad();
  d.backward(w);
  for (auto& p : d.parameters()) {
    const gan::Tensor<double> grad = p.grad;
    for (gan::index_t i = 0; i < p.value.size(); ++i) {
      const double v = p.value[i];
      p.value[i] = v + h;
      const double lp = loss(d, x, w);
      p.value[i] = v - h;
      const double lm = loss(d, x, w);
      p.value[i] = v;
      INFO(p.name << "[" << i << "]");
      REQUIRE(close(grad[i], (lp - lm) / (2 * h)));
      ++checked;
    }
  }
  REQUIRE(checked == x.size() + 2 * 2 * 3 * 3 + 2 + 24 + 1 + 4 * 24);
}

}  // namespace

TEST_CASE("Projection discriminator: scores are psi(phi(x)) + <E[y], phi(x)>",
          "[models][discriminator][projection]") {
  gan::manual_seed(3);
  auto d = tiny_projection_d<double>(gan::Output::logits);
  gan::Rng rng(5);
  gan::Tensor<double> x({3, 2, 5, 7});
  rng.fill_uniform(x, -1, 1);
  rng.fill_uniform(d.embedding(), -1, 1);
  const gan::Tensor<double> scores = d.forward(x, labels);
  const gan::Tensor<double> phi = d.net().get<0>().forward(x);
  const gan::Tensor<double> psi = d.net().get<1>().forward(phi);
  REQUIRE(scores.shape() == gan::Shape{3, 1});
  for (gan::index_t i = 0; i < 3; ++i) {
    double expected = psi[i];
    for (gan::index_t j = 0; j < 24; ++j) expected += d.embedding()(labels[i], j) * phi(i, j);
    REQUIRE(scores[i] == Approx(expected).epsilon(1e-12));
  }
  // The class changes the score; the Sigmoid output is the logit squashed.
  const double first = scores[0];
  REQUIRE(d.forward(x, {1, 0, 3})[0] != first);
  auto p = tiny_projection_d<double>(gan::Output::probability);
  p.net() = d.net();
  p.embedding() = d.embedding();
  REQUIRE(p.forward(x, labels)[0] == Approx(1 / (1 + std::exp(-first))).epsilon(1e-12));
}

TEST_CASE("Projection discriminator: gradients of the image and every parameter",
          "[models][discriminator][projection][gradcheck]") {
  gan::manual_seed(4);
  SECTION("logits") {
    auto d = tiny_projection_d<double>(gan::Output::logits);
    check_gradients(d);
  }
  SECTION("probabilities") {
    auto d = tiny_projection_d<double>(gan::Output::probability);
    check_gradients(d);
  }
}

TEST_CASE("Projection discriminator: a frozen one adds to no gradient",
          "[models][discriminator][projection]") {
  gan::manual_seed(6);
  auto d = tiny_projection_d<double>(gan::Output::logits);
  gan::Tensor<double> x({3, 2, 5, 7}), w({3, 1});
  gan::Rng rng(7);
  rng.fill_uniform(x, -1, 1);
  rng.fill_uniform(w, -1, 1);
  d.zero_grad();
  d.set_requires_grad(false);
  d.forward(x, labels);
  d.backward(w);
  for (auto& p : d.parameters())
    for (gan::index_t i = 0; i < p.grad.size(); ++i) REQUIRE(p.grad[i] == 0);
}

TEST_CASE("Projection discriminator: names, and bad labels and shapes",
          "[models][discriminator][projection][errors]") {
  auto d = gan::nets::dcgan28_projection_discriminator<float>(10);
  std::vector<std::string> names;
  for (auto& p : d.parameters()) names.push_back(p.name);
  REQUIRE(names == std::vector<std::string>{"0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias",
                                            "1.weight", "1.bias", "embed.weight"});
  REQUIRE(d.embedding().shape() == gan::Shape{10, 128 * 7 * 7});
  gan::Tensor<float> images({2, 1, 28, 28}), flat({2, 784});
  REQUIRE_THROWS_WITH(d.forward(images, {}), Catch::Contains("needs a label per sample"));
  REQUIRE_THROWS_WITH(d.forward(images, {0, 10}), Catch::Contains("label 10 outside [0, 10)"));
  REQUIRE_THROWS_WITH(d.forward(images, {0}), Catch::Contains("expected 2 labels, got 1"));
  REQUIRE_THROWS_WITH(d.forward(flat, {0, 1}), Catch::Contains("[N, C, H, W]"));
  REQUIRE_THROWS_WITH(gan::nets::dcgan28_projection_discriminator<float>(0),
                      Catch::Contains("at least one class"));
  auto sn = gan::nets::dcgan28_sn_projection_discriminator<float>(10);
  REQUIRE(sn.parameters().back().name == "embed.weight");
  REQUIRE(sn.parameters()[4].name == "1.weight_orig");
}

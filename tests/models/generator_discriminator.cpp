#include <catch2/catch.hpp>

#include "gan/gan.hpp"
#include "gan/testing/gradcheck.hpp"

namespace {
template <class T>
auto tiny_d(gan::index_t classes) {
  return gan::Discriminator(
      gan::Sequential{gan::Flatten<T>(), gan::Dense<T>((1 + classes) * 5 * 3, 4), gan::Tanh<T>(),
                      gan::Dense<T>(4, 1), gan::Sigmoid<T>()},
      classes);
}
}  // namespace

TEST_CASE("Conditional generator: the label changes the image, not the noise",
          "[models][generator]") {
  gan::manual_seed(1);
  auto g = gan::nets::mlp28_generator<float>(100, 10);
  gan::Tensor<float> z;
  gan::Rng rng(4);
  g.sample_noise(z, 2, rng);
  const gan::Tensor<float> threes = g.forward(z, {3, 3});
  const gan::Tensor<float> sevens = g.forward(z, {7, 7});
  REQUIRE(threes.shape() == gan::Shape{2, 1, 28, 28});
  double diff = 0;
  for (gan::index_t i = 0; i < threes.size(); ++i) diff += std::abs(threes[i] - sevens[i]);
  REQUIRE(diff > 1e-3);
  // The same label twice gives the same image (a pure function of z and label).
  const gan::Tensor<float> again = g.forward(z, {3, 3});
  for (gan::index_t i = 0; i < threes.size(); ++i) REQUIRE(again[i] == threes[i]);
}

TEST_CASE("Generator and Discriminator refuse bad noise and labels", "[models][errors]") {
  auto g = gan::nets::mlp28_generator<float>(100, 10);
  gan::Tensor<float> z({2, 100}), wrong({2, 99});
  REQUIRE_THROWS_WITH(g.forward(wrong, {1, 2}),
                      Catch::Contains("[N, 100]") && Catch::Contains("[2, 99]"));
  REQUIRE_THROWS_WITH(g.forward(z), Catch::Contains("label"));
  REQUIRE_THROWS_WITH(g.forward(z, {1}), Catch::Contains("expected 2 labels, got 1"));
  REQUIRE_THROWS_WITH(g.forward(z, {1, 10}), Catch::Contains("label 10 outside [0, 10)"));
  auto u = gan::nets::mlp28_generator<float>(100, 0);
  REQUIRE_THROWS_WITH(u.forward(z, {1, 2}), Catch::Contains("unconditional"));
  auto d = gan::nets::mlp28_discriminator<float>(10);
  gan::Tensor<float> images({2, 1, 28, 28});
  REQUIRE_THROWS_WITH(d.forward(images, {0, -1}), Catch::Contains("label -1"));
}

TEST_CASE("Conditional discriminator: gradient with respect to the image is right",
          "[models][discriminator][gradcheck]") {
  auto d = tiny_d<double>(3);
  gan::Tensor<double> x({2, 1, 5, 3}), weights({2, 1});
  gan::Rng rng(8);
  rng.fill_uniform(x, 0, 1);
  rng.fill_uniform(weights, -1, 1);
  const std::vector<int> labels = {2, 0};
  auto f = [&](const gan::Tensor<double>& in, gan::Tensor<double>& grad) {
    const auto& y = d.forward(in, labels);
    double s = 0;
    for (gan::index_t i = 0; i < y.size(); ++i) s += y[i] * weights[i];
    d.zero_grad();
    grad.copy_from(d.backward(weights));
    return s;
  };
  const auto r = gan::testing::check_function_gradient(f, x);
  INFO(r.report);
  REQUIRE(r.ok);
}

TEST_CASE("dcgan28 nets have PyTorch's state_dict names and shapes", "[models][dcgan28]") {
  auto g = gan::nets::dcgan28_generator<float>();
  auto d = gan::nets::dcgan28_discriminator<float>();
  std::vector<std::string> names;
  std::vector<gan::Shape> shapes;
  for (auto& p : g.parameters()) {
    names.push_back(p.name);
    shapes.push_back(p.value.shape());
  }
  REQUIRE(names == std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "5.weight",
                                            "5.bias"});
  REQUIRE(shapes[0] == gan::Shape{6272, 100});
  REQUIRE(shapes[2] == gan::Shape{128, 64, 4, 4});
  REQUIRE(shapes[4] == gan::Shape{64, 1, 4, 4});
  names.clear();
  for (auto& p : d.parameters()) names.push_back(p.name);
  REQUIRE(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "5.weight",
                                            "5.bias"});
  gan::Tensor<float> z({3, 100});
  REQUIRE(g.forward(z).shape() == gan::Shape{3, 1, 28, 28});
  REQUIRE(d.forward(g.forward(z)).shape() == gan::Shape{3, 1});
}

#include "gan/eval/classifier.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "gan/data/idx_dataset.hpp"
#include "gan/eval/train_classifier.hpp"
#include "gan/layers/init.hpp"

namespace {
const std::string digit_weights =
    std::string(GAN_SOURCE_DIR) + "/data/eval/digit_classifier.safetensors";

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("gan_eval_classifier_" + name)).string();
}
}  // namespace

TEST_CASE("Classifier shapes and parameter names", "[eval][classifier]") {
  gan::manual_seed(1);
  gan::eval::Classifier<float> net;
  REQUIRE(net.output_shape({5, 1, 28, 28}) == gan::Shape{5, 10});
  gan::Tensor<float> x({3, 1, 28, 28});
  gan::Rng(2).fill_uniform(x);
  const auto& logits = net.forward(x);
  REQUIRE(logits.shape() == gan::Shape{3, 10});
  REQUIRE(net.features().shape() == gan::Shape{3, 128});
  gan::index_t count = 0;
  std::vector<std::string> names;
  for (auto& p : net.parameters()) {
    count += p.value.size();
    names.push_back(p.name);
  }
  REQUIRE(count == 202794);
  REQUIRE(names == std::vector<std::string>{"0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias",
                                            "0.4.weight", "0.4.bias", "0.7.weight", "0.7.bias",
                                            "1.weight", "1.bias"});
  REQUIRE_THROWS_WITH(net.forward(gan::Tensor<float>({2, 1, 32, 32})),
                      Catch::Contains("expected input [N >= 1, 1, 28, 28], got [2, 1, 32, 32]"));
  gan::eval::Classifier<float> fresh;
  REQUIRE_THROWS_WITH(fresh.features(), Catch::Contains("features() called before forward"));
  REQUIRE_THROWS_WITH(gan::eval::Classifier<float>(1), Catch::Contains("at least 2 classes"));
}

TEST_CASE("Classifier gradients pass the finite-difference check",
          "[eval][classifier][gradcheck]") {
  // The whole net in double on two images, against central differences of
  // L = sum(logits .* R) for a few input pixels and parameters (the layers are each
  // checked in full in tests/layers; this checks how the classifier wires them).
  gan::manual_seed(3);
  gan::eval::Classifier<double> net;
  gan::Tensor<double> x({2, 1, 28, 28}), r({2, 10});
  gan::Rng rng(4);
  rng.fill_uniform(x);
  rng.fill_uniform(r, -1, 1);
  const auto loss = [&] {
    const auto& y = net.forward(x);
    double s = 0;
    for (gan::index_t i = 0; i < y.size(); ++i) s += y[i] * r[i];
    return s;
  };
  net.zero_grad();
  net.forward(x);
  const gan::Tensor<double> dx = net.backward(r);
  const double h = 1e-6;
  const auto check = [&](double& v, double analytic) {
    const double saved = v;
    v = saved + h;
    const double up = loss();
    v = saved - h;
    const double down = loss();
    v = saved;
    REQUIRE(analytic == Approx((up - down) / (2 * h)).epsilon(1e-5).margin(1e-8));
  };
  for (gan::index_t i : {0, 300, 405, 783, 784 + 392}) check(x[i], dx[i]);
  for (auto& p : net.parameters())
    for (gan::index_t i : {gan::index_t(0), p.value.size() / 2, p.value.size() - 1})
      check(p.value[i], p.grad[i]);
}

TEST_CASE("the committed digit classifier reaches >= 98 % on the held-out digits",
          "[eval][classifier]") {
  // data/eval/README.md: trained on the first 8000 bundled digits, held out: the last 2000.
  const auto digits = gan::data::load_idx_dataset(std::string(GAN_SOURCE_DIR) + "/data/mnist");
  const auto held_out = gan::eval::slice(digits, 8000, 2000);
  gan::eval::Classifier<float> net;
  const auto meta = net.load(digit_weights);
  REQUIRE(meta.at("gan.eval.architecture") == gan::eval::classifier_architecture);
  const double accuracy = gan::eval::accuracy(net, held_out);
  INFO("held-out accuracy " << accuracy);
  REQUIRE(accuracy >= 0.98);
  // The file records the accuracy it was made with; the test measures the same.
  REQUIRE(std::stod(meta.at("gan.eval.held_out_accuracy")) == Approx(accuracy).margin(1e-4));
}

TEST_CASE("Classifier save and load round-trip; bad weights files are refused clearly",
          "[eval][classifier]") {
  gan::manual_seed(5);
  gan::eval::Classifier<float> a, b;
  const std::string path = temp_path("roundtrip.safetensors");
  a.set_feature_scale(0.123456789012345678);
  a.save(path, {{"note", "test"}});
  const auto meta = b.load(path);
  REQUIRE(meta.at("note") == "test");
  REQUIRE(meta.at("gan.eval.classes") == "10");
  REQUIRE(b.feature_scale() == a.feature_scale());  // %.17g round-trips a double
  REQUIRE_THROWS_WITH(b.set_feature_scale(0), Catch::Contains("feature scale must be positive"));
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    for (gan::index_t j = 0; j < pa[i].value.size(); ++j) REQUIRE(pa[i].value[j] == pb[i].value[j]);

  SECTION("weights of the wrong shapes (another class count)") {
    gan::eval::Classifier<float> five(5);
    five.save(path);
    REQUIRE_THROWS_AS(b.load(path), gan::Error);
    REQUIRE_THROWS_WITH(b.load(path), Catch::Contains("Classifier (10 classes): wrong weights") &&
                                          Catch::Contains("'1.weight' has shape [5, 128], "
                                                          "expected [10, 128]") &&
                                          Catch::Contains("none loaded"));
    // Nothing was changed.
    REQUIRE(b.parameters()[8].value[0] == pa[8].value[0]);
  }
  SECTION("a file without the architecture, or of another architecture") {
    gan::Tensor<float> t({2});
    gan::save_safetensors<float>(path, {{"x", &t}});
    REQUIRE_THROWS_WITH(b.load(path), Catch::Contains("not a classifier weights file"));
    gan::save_safetensors<float>(path, {{"x", &t}}, {{"gan.eval.architecture", "resnet"}});
    REQUIRE_THROWS_WITH(b.load(path), Catch::Contains("holds architecture 'resnet', expected '") &&
                                          Catch::Contains(gan::eval::classifier_architecture));
  }
  SECTION("a bad feature scale") {
    // save() writes its own scale over the caller's: write the file by hand.
    std::vector<std::pair<std::string, const gan::Tensor<float>*>> tensors;
    for (auto& p : a.parameters()) tensors.emplace_back(p.name, &p.value);
    gan::save_safetensors<float>(path, tensors,
                                 {{"gan.eval.architecture", gan::eval::classifier_architecture},
                                  {"gan.eval.feature_scale", "-2"}});
    REQUIRE_THROWS_WITH(b.load(path),
                        Catch::Contains("gan.eval.feature_scale is '-2', expected a positive"));
  }
  std::filesystem::remove(path);
  REQUIRE_THROWS_WITH(b.load(path), Catch::Contains("does not exist"));
}

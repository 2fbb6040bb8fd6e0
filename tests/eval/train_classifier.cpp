#include "gan/eval/train_classifier.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "gan/data/idx_dataset.hpp"
#include "gan/layers/init.hpp"

namespace {
const gan::data::ImageSet& digits() {
  static const gan::data::ImageSet set =
      gan::data::load_idx_dataset(std::string(GAN_SOURCE_DIR) + "/data/mnist");
  return set;
}
}  // namespace

TEST_CASE("slice and split keep images and labels together", "[eval][train_classifier]") {
  const auto [a, b] = gan::eval::split(digits(), 8000);
  REQUIRE(a.count == 8000);
  REQUIRE(b.count == 2000);
  REQUIRE(b.labels[0] == digits().labels[8000]);
  REQUIRE(b.pixels[784 * 3 + 400] == digits().pixels[784 * 8003 + 400]);
  REQUIRE(b.class_names.size() == 10);
  REQUIRE_THROWS_WITH(gan::eval::split(digits(), 10000),
                      Catch::Contains("both parts must be non-empty"));
  REQUIRE_THROWS_WITH(gan::eval::slice(digits(), 9990, 20),
                      Catch::Contains("images [9990, 10010) outside 10000 images"));
}

TEST_CASE("affine_image shifts, rotates and scales with zero fill", "[eval][train_classifier]") {
  float scratch[9];
  SECTION("identity and an integer shift move pixels exactly") {
    float image[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    gan::eval::detail::affine_image(image, 3, 0, 1, 0, 0, scratch);
    for (int i = 0; i < 9; ++i) REQUIRE(image[i] == float(i + 1));
    gan::eval::detail::affine_image(image, 3, 0, 1, 1, -1, scratch);  // down 1, left 1
    const float expected[9] = {0, 0, 0, 2, 3, 0, 5, 6, 0};
    for (int i = 0; i < 9; ++i) REQUIRE(image[i] == expected[i]);
  }
  SECTION("a quarter turn about the centre") {
    // Output (y, x) reads input c + R(-90)(p - c): (y, x) <- (x, 2 - y) for size 3: the
    // image turns 90 degrees anticlockwise on screen (y down).
    float image[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    gan::eval::detail::affine_image(image, 3, 90, 1, 0, 0, scratch);
    const float expected[9] = {3, 6, 9, 2, 5, 8, 1, 4, 7};
    for (int i = 0; i < 9; ++i) REQUIRE(image[i] == Approx(expected[i]).margin(1e-5));
  }
  SECTION("a half-pixel shift averages neighbours; scaling by 2 magnifies the centre") {
    float image[9] = {0, 0, 0, 0, 4, 0, 0, 0, 0};
    gan::eval::detail::affine_image(image, 3, 0, 1, 0, 0.5, scratch);
    REQUIRE(image[4] == Approx(2));
    REQUIRE(image[5] == Approx(2));
    float centre[9] = {0, 0, 0, 0, 4, 0, 0, 0, 0};
    gan::eval::detail::affine_image(centre, 3, 0, 2, 0, 0, scratch);
    REQUIRE(centre[4] == Approx(4));
    REQUIRE(centre[1] == Approx(2));  // reads (0.5, 1): halfway to the centre
    REQUIRE(centre[0] == Approx(1));  // reads (0.5, 0.5)
  }
}

TEST_CASE("train_classifier learns digits and is deterministic",
          "[eval][train_classifier][training]") {
  // 1024 digits, 3 epochs: well above chance (10 %) on 500 others; a second run with the
  // same seeds gives the same weights bit for bit.
  const auto train = gan::eval::slice(digits(), 0, 1024);
  const auto held_out = gan::eval::slice(digits(), 9000, 500);
  gan::eval::ClassifierTrainingOptions o;
  o.epochs = 3;
  o.batch = 32;
  o.seed = 7;
  std::vector<gan::eval::ClassifierEpoch> epochs;
  gan::manual_seed(11);
  gan::eval::Classifier<float> a;
  gan::eval::train_classifier(a, train, held_out, o,
                              [&](const gan::eval::ClassifierEpoch& e) { epochs.push_back(e); });
  REQUIRE(epochs.size() == 3);
  REQUIRE(epochs[2].loss < epochs[0].loss);
  REQUIRE(epochs[2].held_out_accuracy > 0.7);
  REQUIRE(gan::eval::accuracy(a, held_out) == epochs[2].held_out_accuracy);

  // feature_rms: the root mean square of the features over images and dimensions.
  const auto few = gan::eval::slice(held_out, 0, 7);
  const double rms = gan::eval::feature_rms(a, few, 3);  // batches of 3, 3 and 1
  gan::Tensor<float> x({7, 1, 28, 28});
  std::vector<gan::index_t> all{0, 1, 2, 3, 4, 5, 6};
  gan::data::copy_batch(few, all.data(), gan::data::Range::unit, x);
  a.forward(x);
  double sq = 0;
  for (float v : a.features()) sq += double(v) * v;
  REQUIRE(rms == Approx(std::sqrt(sq / (7 * 128))).epsilon(1e-6));

  gan::manual_seed(11);
  gan::eval::Classifier<float> b;
  gan::eval::train_classifier(b, train, gan::data::ImageSet{}, o);
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    for (gan::index_t j = 0; j < pa[i].value.size(); ++j) REQUIRE(pa[i].value[j] == pb[i].value[j]);
}

TEST_CASE("train_classifier rejects bad sets and options with a clear message",
          "[eval][train_classifier]") {
  gan::eval::Classifier<float> net;
  auto unlabelled = gan::eval::slice(digits(), 0, 100);
  unlabelled.labels.clear();
  REQUIRE_THROWS_WITH(gan::eval::train_classifier(net, unlabelled, {}, {}),
                      Catch::Contains("the training set") && Catch::Contains("has no labels"));
  auto big = gan::eval::slice(digits(), 0, 100);
  big.height = 56;
  big.width = 14;
  REQUIRE_THROWS_WITH(gan::eval::train_classifier(net, big, {}, {}),
                      Catch::Contains("does not hold 1x28x28 images"));
  auto odd = gan::eval::slice(digits(), 0, 100);
  odd.labels[5] = 12;
  REQUIRE_THROWS_WITH(gan::eval::train_classifier(net, odd, {}, {}),
                      Catch::Contains("label 5 is 12, expected a class in [0, 10)"));
  REQUIRE_THROWS_WITH(gan::eval::train_classifier(net, gan::data::ImageSet{}, {}, {}),
                      Catch::Contains("the training set is empty"));
  gan::eval::ClassifierTrainingOptions o;
  o.max_shift = 28;
  REQUIRE_THROWS_WITH(gan::eval::train_classifier(net, gan::eval::slice(digits(), 0, 100), {}, o),
                      Catch::Contains("max_shift 28"));
  o.max_shift = 2;
  o.max_scale = 1;
  REQUIRE_THROWS_WITH(gan::eval::train_classifier(net, gan::eval::slice(digits(), 0, 100), {}, o),
                      Catch::Contains("0 <= max_scale < 1") && Catch::Contains("max_scale 1"));
  REQUIRE_THROWS_WITH(gan::eval::accuracy(net, unlabelled), Catch::Contains("the evaluated set"));
}

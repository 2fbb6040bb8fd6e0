#include "gan/eval/evaluator.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "gan/data/idx_dataset.hpp"

namespace {
const std::string digit_weights =
    std::string(GAN_SOURCE_DIR) + "/data/eval/digit_classifier.safetensors";

const gan::data::ImageSet& digits() {
  static const gan::data::ImageSet set =
      gan::data::load_idx_dataset(std::string(GAN_SOURCE_DIR) + "/data/mnist");
  return set;
}

// One evaluator for the file: 1000 reference and 1000 pool digits keep the tests quick.
gan::eval::Evaluator& evaluator() {
  static gan::eval::Evaluator ev = [] {
    gan::eval::EvaluatorOptions o;
    o.reference_size = 1000;
    o.pool_size = 1000;
    o.seed = 3;
    return gan::eval::Evaluator(digit_weights, digits(), o);
  }();
  return ev;
}

// Images `indices` of the digits, as [n, 1, 28, 28] in [0, 1], with their labels.
gan::Tensor<float> images_at(const std::vector<gan::index_t>& indices, std::vector<int>* labels) {
  gan::Tensor<float> t({static_cast<gan::index_t>(indices.size()), 1, 28, 28});
  gan::data::copy_batch(digits(), indices.data(), gan::data::Range::unit, t);
  if (labels)
    for (auto i : indices) labels->push_back(digits().labels[static_cast<std::size_t>(i)]);
  return t;
}
}  // namespace

TEST_CASE("Evaluator: the floor is computed on a real set disjoint from the reference",
          "[eval][evaluator]") {
  auto& ev = evaluator();
  REQUIRE(ev.reference_size() == 1000);
  REQUIRE(ev.max_samples() == 1000);
  const auto& ref = ev.reference_indices();
  const auto& pool = ev.pool_indices();
  std::set<gan::index_t> r(ref.begin(), ref.end()), p(pool.begin(), pool.end());
  REQUIRE(r.size() == 1000);
  REQUIRE(p.size() == 1000);
  for (auto i : p) REQUIRE(r.count(i) == 0);

  // Scoring the pool's first N images reproduces the floor at N exactly ...
  const std::vector<gan::index_t> first(pool.begin(), pool.begin() + 500);
  const auto s = ev.score(images_at(first, nullptr));
  REQUIRE(s.samples == 500);
  REQUIRE(s.fid == s.fid_floor);
  REQUIRE(s.kid == s.kid_floor);
  REQUIRE(s.precision == s.precision_floor);
  REQUIRE(s.recall == s.recall_floor);
  REQUIRE(s.fid_floor > 0);
  REQUIRE(s.precision_floor < 1);
  // ... while the reference's own images are not a disjoint set: each lies in its own
  // k-NN ball (precision 1) and their FID is far below the floor.
  const std::vector<gan::index_t> own(ref.begin(), ref.begin() + 500);
  const auto t = ev.score(images_at(own, nullptr));
  REQUIRE(t.precision == 1);
  REQUIRE(t.fid < t.fid_floor);
  REQUIRE(t.fid_floor == s.fid_floor);  // the floor depends on N only
}

TEST_CASE("Evaluator: real digits score near the floor, blank and noise images far from it",
          "[eval][evaluator]") {
  auto& ev = evaluator();
  // 500 digits outside both the reference and the pool.
  std::vector<char> used(static_cast<std::size_t>(digits().count), 0);
  for (auto i : ev.reference_indices()) used[static_cast<std::size_t>(i)] = 1;
  for (auto i : ev.pool_indices()) used[static_cast<std::size_t>(i)] = 1;
  std::vector<gan::index_t> other;
  for (gan::index_t i = 0; i < digits().count && other.size() < 500; ++i)
    if (!used[static_cast<std::size_t>(i)]) other.push_back(i);
  std::vector<int> labels;
  const auto real = ev.score(images_at(other, &labels), labels);
  INFO(real.table());
  REQUIRE(real.fid < 2 * real.fid_floor);
  REQUIRE(real.coverage == 10);
  REQUIRE(real.label_agreement >= 0.97);
  REQUIRE(real.class_entropy > 2.2);

  gan::Tensor<float> noise({500, 1, 28, 28});
  gan::Rng(1).fill_uniform(noise);
  const auto bad = ev.score(noise);
  INFO(bad.table());
  REQUIRE(bad.fid > 20 * bad.fid_floor);
  REQUIRE(bad.kid > 20 * std::max(bad.kid_floor, 1e-6));
  REQUIRE(bad.precision < 0.05);
  REQUIRE(bad.label_agreement == -1);

  // One digit repeated 500 times: mode collapse. Low recall and one class.
  const std::vector<gan::index_t> same(500, other[0]);
  const auto collapsed = ev.score(images_at(same, nullptr));
  INFO(collapsed.table());
  REQUIRE(collapsed.coverage == 1);
  REQUIRE(collapsed.class_entropy == 0);
  REQUIRE(collapsed.recall < 0.05);
  REQUIRE(collapsed.fid > 10 * collapsed.fid_floor);
}

TEST_CASE("Evaluator: scores are deterministic and cover the JSON and the table",
          "[eval][evaluator]") {
  auto& ev = evaluator();
  const std::vector<gan::index_t> some(ev.pool_indices().begin() + 100,
                                       ev.pool_indices().begin() + 400);
  const auto images = images_at(some, nullptr);
  const auto a = ev.score(images), b = ev.score(images);
  REQUIRE(a.fid == b.fid);
  REQUIRE(a.kid == b.kid);
  REQUIRE(a.recall == b.recall);
  const nlohmann::json j = a;
  for (const char* key :
       {"samples", "fid", "fid_floor", "kid", "kid_floor", "precision", "recall", "coverage",
        "class_entropy", "mean_confidence", "confident_share", "class_shares", "label_agreement"})
    REQUIRE(j.contains(key));
  REQUIRE(j["samples"] == 300);
  REQUIRE(j["label_agreement"].is_null());
  REQUIRE(j["class_shares"].size() == 10);
  const std::string table = a.table();
  REQUIRE(table.find("FID") != std::string::npos);
  REQUIRE(table.find("real-vs-real") != std::string::npos);
  REQUIRE(table.find("300 samples against 1000 real images") != std::string::npos);
}

TEST_CASE("Evaluator: features and floors do not depend on the classifier's batch",
          "[eval][evaluator]") {
  // EvaluatorOptions::batch sets only how many images one classifier forward takes (and
  // with it the classifier's buffers); every feature must come out bit for bit the same.
  auto& ev = evaluator();
  gan::eval::EvaluatorOptions o = ev.options();
  o.batch = 7;
  gan::eval::Evaluator small(digit_weights, digits(), o);
  const std::vector<gan::index_t> some(ev.pool_indices().begin(), ev.pool_indices().begin() + 250);
  const auto images = images_at(some, nullptr);
  const gan::eval::Features a = ev.features(images);
  const gan::eval::Features& b = small.features(images);
  REQUIRE(ev.options().batch != small.options().batch);
  REQUIRE((a.rows() == 250 && b.rows() == 250 && a.cols() == b.cols()));
  REQUIRE(std::equal(a.data(), a.data() + a.size(), b.data()));
  REQUIRE(ev.floor(250).fid == small.floor(250).fid);
}

TEST_CASE("Evaluator rejects bad input with a clear message", "[eval][evaluator]") {
  auto& ev = evaluator();
  REQUIRE_THROWS_AS(ev.score(gan::Tensor<float>({10, 1, 32, 32})), gan::Error);
  REQUIRE_THROWS_WITH(
      ev.score(gan::Tensor<float>({10, 1, 32, 32})),
      Catch::Contains("expected images [N, 1, 28, 28] in [0, 1], got [10, 1, 32, 32]"));
  REQUIRE_THROWS_WITH(ev.score(gan::Tensor<float>({10, 3, 28, 28})),
                      Catch::Contains("[10, 3, 28, 28]"));
  REQUIRE_THROWS_WITH(ev.score(gan::Tensor<float>({0, 1, 28, 28})),
                      Catch::Contains("cannot score 0 images: needs between 4 (k = 3 neighbours) "
                                      "and 1000"));
  REQUIRE_THROWS_WITH(ev.score(gan::Tensor<float>({3, 1, 28, 28})),
                      Catch::Contains("cannot score 3 images"));
  REQUIRE_THROWS_WITH(ev.score(gan::Tensor<float>({1001, 1, 28, 28})),
                      Catch::Contains("cannot score 1001 images"));
  gan::Tensor<float> tanh_range({10, 1, 28, 28});
  tanh_range.fill(-1);
  REQUIRE_THROWS_WITH(ev.score(tanh_range), Catch::Contains("expected values in [0, 1]"));
  REQUIRE_THROWS_WITH(ev.score(gan::Tensor<float>({10, 1, 28, 28}), {1, 2}),
                      Catch::Contains("10 images but 2 labels"));
  REQUIRE_THROWS_WITH(ev.score(gan::Tensor<float>({4, 1, 28, 28}), {1, 2, 3, 10}),
                      Catch::Contains("label 3 is 10, expected a class in [0, 10)"));

  // A real set of the wrong image size, or too small to split.
  gan::data::ImageSet wrong;
  wrong.count = 100;
  wrong.channels = 1;
  wrong.height = wrong.width = 32;
  wrong.pixels.assign(100 * 32 * 32, 0);
  wrong.source = "wrong";
  REQUIRE_THROWS_WITH(gan::eval::Evaluator(digit_weights, wrong),
                      Catch::Contains("does not hold 1x28x28 images"));
  gan::data::ImageSet tiny;
  tiny.count = 6;
  tiny.channels = 1;
  tiny.height = tiny.width = 28;
  tiny.pixels.assign(6 * 28 * 28, 0);
  tiny.source = "tiny";
  REQUIRE_THROWS_WITH(
      gan::eval::Evaluator(digit_weights, tiny),
      Catch::Contains("cannot be split into a reference of 3 and a floor pool of 3"));
  // Weights of the wrong shapes.
  gan::eval::Classifier<float> five(5);
  const std::string path = "gan_eval_evaluator_five.safetensors";
  five.save(path);
  REQUIRE_THROWS_WITH(
      gan::eval::Evaluator(path, digits()),
      Catch::Contains("wrong weights") && Catch::Contains("'1.bias' has shape [5]"));
  std::remove(path.c_str());
}

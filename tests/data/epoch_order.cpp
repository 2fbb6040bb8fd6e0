#include "gan/data/epoch_order.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "gan/data/batcher.hpp"

using gan::index_t;
using gan::data::EpochOrder;

TEST_CASE("EpochOrder: every epoch is a permutation, batches tile it, the tail is dropped",
          "[data]") {
  EpochOrder order(103, 10, 7);
  REQUIRE(order.steps_per_epoch() == 10);
  for (std::int64_t epoch = 0; epoch < 3; ++epoch) {
    std::set<index_t> seen;
    for (std::int64_t s = 0; s < 10; ++s) {
      const index_t* b = order.batch(epoch * 10 + s);
      seen.insert(b, b + 10);
    }
    CHECK(seen.size() == 100);  // 100 distinct images of 103, 3 dropped
    CHECK(*seen.rbegin() < 103);
  }
}

TEST_CASE("EpochOrder: the order depends on (seed, epoch) only, so resuming sees the same batches",
          "[data]") {
  EpochOrder a(50, 8, 3), b(50, 8, 3), other_seed(50, 8, 4);
  std::vector<index_t> first(a.batch(13), a.batch(13) + 8);
  // b jumps straight to step 13, as a resumed run does; a walked there from step 0.
  for (std::int64_t s = 0; s < 13; ++s) a.batch(s);
  CHECK(std::equal(first.begin(), first.end(), b.batch(13)));
  CHECK(std::equal(first.begin(), first.end(), a.batch(13)));
  CHECK_FALSE(std::equal(first.begin(), first.end(), other_seed.batch(13)));
  // Consecutive epochs differ.
  std::vector<index_t> e0(a.batch(0), a.batch(0) + 8);
  CHECK_FALSE(std::equal(e0.begin(), e0.end(), a.batch(6)));
}

TEST_CASE("EpochOrder: a share of a batch is the matching slice of the whole", "[data]") {
  EpochOrder whole(40, 8, 1), share(40, 8, 1);
  const std::vector<index_t> all(whole.batch(5), whole.batch(5) + 8);
  CHECK(std::equal(all.begin() + 4, all.end(), share.batch(5, 4)));
}

TEST_CASE("EpochOrder: bad sizes and mismatched identities are refused", "[data]") {
  CHECK_THROWS_WITH(EpochOrder(5, 8, 0), Catch::Contains("larger than the data set (5 images)"));
  CHECK_THROWS_WITH(EpochOrder(5, 0, 0), Catch::Contains("batch must be >= 1"));
  EpochOrder order(60, 6, 2);
  CHECK_THROWS_WITH(order.batch(-1), Catch::Contains("negative step"));
  CHECK_THROWS_WITH(order.batch(0, 6), Catch::Contains("outside a batch of 6"));
  auto saved = order.identity();
  CHECK_NOTHROW(order.check(saved, "ckpt"));
  saved["data.count"] = "61";
  CHECK_THROWS_WITH(order.check(saved, "ckpt"),
                    Catch::Contains("ckpt: its data.count is 61, this run's is 60"));
}

TEST_CASE("Batcher: bytes become floats in the model's range, labels follow their images",
          "[data]") {
  gan::data::ImageSet set;
  set.count = 4;
  set.channels = 1;
  set.height = 1;
  set.width = 2;
  set.pixels = {0, 255, 51, 102, 10, 20, 30, 40};
  set.labels = {0, 1, 2, 3};
  set.class_names = {"a", "b", "c", "d"};
  gan::data::Batcher unit(set, 4, 0, gan::data::Range::unit);
  gan::Tensor<float> x;
  std::vector<int> labels;
  unit.fill(0, x, labels);
  REQUIRE(x.shape() == gan::Shape({4, 1, 1, 2}));
  REQUIRE(labels.size() == 4);
  for (index_t i = 0; i < 4; ++i) {
    const int k = labels[static_cast<std::size_t>(i)];
    CHECK(x[2 * i] == Approx(set.pixels[static_cast<std::size_t>(2 * k)] / 255.0f));
    CHECK(x[2 * i + 1] == Approx(set.pixels[static_cast<std::size_t>(2 * k + 1)] / 255.0f));
  }
  gan::data::Batcher symmetric(set, 4, 0, gan::data::Range::symmetric);
  symmetric.fill(0, x, labels);
  for (index_t i = 0; i < 4; ++i) {
    const int k = labels[static_cast<std::size_t>(i)];
    if (k == 0) {
      CHECK(x[2 * i] == -1.0f);
      CHECK(x[2 * i + 1] == 1.0f);
    }
  }
  CHECK_THROWS_WITH(symmetric.fill(0, x, labels, 2, 3), Catch::Contains("outside a batch of 4"));
}

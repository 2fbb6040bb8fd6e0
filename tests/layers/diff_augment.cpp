#include "gan/layers/diff_augment.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/core/rng.hpp"
#include "gan/testing/gradcheck.hpp"
#include "kernels/naive_augment.hpp"

namespace {

using gan::index_t;
using gan::Tensor;

template <class T>
Tensor<T> random_tensor(const gan::Shape& shape, gan::Rng& rng) {
  Tensor<T> t(shape);
  rng.fill_uniform(t, -1.0, 1.0);
  return t;
}

template <class T>
bool same_bits(const Tensor<T>& a, const Tensor<T>& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}

// The augmentation with its draw held fixed, as a layer for check_layer_gradients.
template <class T>
class FixedDraw : public gan::LayerBase<T> {
 public:
  explicit FixedDraw(gan::DiffAugment<T>& aug) : aug_(aug) {}
  gan::Shape output_shape(const gan::Shape& in) const { return aug_.output_shape(in); }
  const Tensor<T>& forward(const Tensor<T>& x) { return aug_.apply(x); }
  const Tensor<T>& backward(const Tensor<T>& dy) { return aug_.backward(dy); }
  std::string name() const { return aug_.name(); }

 private:
  gan::DiffAugment<T>& aug_;
};

// The whole policy by the reference formulas (tests/kernels/naive_augment.hpp), with the
// layer's own draw, in the reference's order.
template <class T>
naive::Batch reference(const gan::DiffAugment<T>& aug, const Tensor<T>& x) {
  const auto& d = aug.last_draw();
  naive::Batch b{x.dim(0), x.dim(1), x.dim(2), x.dim(3), std::vector<double>(x.begin(), x.end())};
  auto doubles = [](const std::vector<T>& v) { return std::vector<double>(v.begin(), v.end()); };
  auto longs = [](const std::vector<index_t>& v) { return std::vector<long>(v.begin(), v.end()); };
  const gan::AugmentPolicy& p = aug.policy();
  if (p.brightness) naive::brightness(b, doubles(d.brightness));
  if (p.saturation) naive::saturation(b, doubles(d.saturation));
  if (p.contrast) naive::contrast(b, doubles(d.contrast));
  if (p.translation) naive::translation(b, longs(d.shift_h), longs(d.shift_w));
  if (p.cutout) naive::cutout(b, longs(d.cut_top), longs(d.cut_left), d.cut_h, d.cut_w);
  return b;
}

const std::vector<std::string> kPolicies = {
    "brightness", "saturation", "contrast", "translation", "cutout", "color,translation,cutout"};
const std::vector<gan::Shape> kShapes = {{3, 1, 5, 7}, {2, 3, 9, 11}, {4, 3, 4, 3}};

}  // namespace

TEST_CASE("AugmentPolicy parses the reference's policy strings", "[layers][diff_augment]") {
  const gan::AugmentPolicy best = gan::AugmentPolicy::parse("color,translation,cutout");
  REQUIRE((best.brightness && best.saturation && best.contrast && best.translation && best.cutout));
  REQUIRE(best.str() == "color,translation,cutout");
  const gan::AugmentPolicy two = gan::AugmentPolicy::parse(" cutout , translation,cutout");
  REQUIRE((two.translation && two.cutout && !two.brightness && !two.saturation && !two.contrast));
  REQUIRE(two.str() == "translation,cutout");  // the order applied, not the order written
  REQUIRE(gan::AugmentPolicy::parse("contrast,brightness").str() == "brightness,contrast");
  REQUIRE(gan::AugmentPolicy::parse("brightness,saturation,contrast").str() == "color");
  REQUIRE(gan::AugmentPolicy::parse("").empty());
  REQUIRE(gan::AugmentPolicy::parse("  ").empty());
  REQUIRE(gan::DiffAugment<float>("translation,cutout").name() ==
          "DiffAugment(translation,cutout)");

  const auto known =
      Catch::Contains("known: color, brightness, saturation, contrast, translation, cutout");
  REQUIRE_THROWS_AS(gan::AugmentPolicy::parse("color,flip"), gan::Error);
  REQUIRE_THROWS_WITH(gan::AugmentPolicy::parse("color,flip"),
                      Catch::Contains("DiffAugment") && Catch::Contains("'flip'") && known);
  REQUIRE_THROWS_WITH(gan::DiffAugment<double>("Color"), Catch::Contains("'Color'") && known);
  REQUIRE_THROWS_WITH(gan::AugmentPolicy::parse("color,,cutout"), Catch::Contains("''") && known);
  REQUIRE_THROWS_WITH(gan::AugmentPolicy::parse("cutout,"), known);
}

TEMPLATE_TEST_CASE("DiffAugment forward is the reference's formulas with its draw",
                   "[layers][diff_augment]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  gan::Rng rng(1);
  for (const std::string& policy : kPolicies)
    for (const gan::Shape& s : kShapes) {
      INFO(policy << " on " << s.str());
      gan::DiffAugment<T> aug(policy);
      const Tensor<T> x = random_tensor<T>(s, rng);
      for (int draw = 0; draw < 3; ++draw) {
        const Tensor<T>& y = aug.forward(x, rng);
        REQUIRE(y.shape() == s);
        const naive::Batch ref = reference(aug, x);
        for (index_t i = 0; i < y.size(); ++i)
          REQUIRE(double(y[i]) == Approx(ref.x[static_cast<std::size_t>(i)]).margin(tol));
      }
    }
}

TEST_CASE("DiffAugment gradients match finite differences, alone and composed",
          "[layers][diff_augment][gradcheck]") {
  gan::Rng rng(2);
  for (const std::string& policy : kPolicies)
    for (const gan::Shape& s : kShapes) {
      gan::DiffAugment<double> aug(policy);
      const Tensor<double> x = random_tensor<double>(s, rng);
      aug.draw(s, rng);
      FixedDraw<double> layer(aug);
      const gan::testing::GradcheckResult r = gan::testing::check_layer_gradients(layer, x, rng);
      INFO(policy << " on " << s.str() << "\n" << r.report);
      REQUIRE(r.ok);
    }
}

TEST_CASE("DiffAugment draws per sample, in range, and the same bits for the same seed",
          "[layers][diff_augment]") {
  const gan::Shape s{64, 3, 28, 28};
  gan::DiffAugment<float> a("color,translation,cutout"), b("color,translation,cutout");
  gan::Rng rng(3);
  const Tensor<float> x = random_tensor<float>(s, rng);
  gan::Rng ra(42), rb(42);
  const Tensor<float> ya = a.forward(x, ra);
  REQUIRE(same_bits(ya, b.forward(x, rb)));
  REQUIRE(same_bits(a.forward(x, ra), b.forward(x, rb)));  // and the next draw as well
  REQUIRE_FALSE(same_bits(a.forward(x, ra), ya));          // a new draw differs

  const auto& d = a.last_draw();
  REQUIRE(d.cut_h == 14);
  REQUIRE(d.cut_w == 14);
  std::set<index_t> shifts, tops;
  std::set<float> brightness;
  for (int round = 0; round < 20; ++round) {
    a.forward(x, ra);
    for (std::size_t i = 0; i < 64; ++i) {
      REQUIRE(d.brightness[i] >= -0.5f);
      REQUIRE(d.brightness[i] < 0.5f);
      REQUIRE(d.saturation[i] >= 0.0f);
      REQUIRE(d.saturation[i] < 2.0f);
      REQUIRE(d.contrast[i] >= 0.5f);
      REQUIRE(d.contrast[i] < 1.5f);
      brightness.insert(d.brightness[i]);
      shifts.insert(d.shift_h[i]);
      shifts.insert(d.shift_w[i]);
      tops.insert(d.cut_top[i]);
      tops.insert(d.cut_left[i]);
    }
  }
  REQUIRE(brightness.size() > 1200);  // one draw per sample, not one per batch
  // round(28 / 8) = 4 (the reference rounds 3.5 up): shifts -4..4, all of them drawn.
  REQUIRE(shifts == std::set<index_t>{-4, -3, -2, -1, 0, 1, 2, 3, 4});
  // size 14, centre in [0, 28 + 1 - 0) = [0, 29): top row -7 .. 21.
  REQUIRE(*tops.begin() == -7);
  REQUIRE(*tops.rbegin() == 21);
  REQUIRE(tops.size() == 29);

  // The stream: brightness for every sample first, from Rng::uniform().
  gan::Rng replay(42);
  gan::DiffAugment<float> c("brightness");
  c.forward(x, replay);
  gan::Rng manual(42);
  for (std::size_t i = 0; i < 64; ++i)
    REQUIRE(c.last_draw().brightness[i] == static_cast<float>(manual.uniform() - 0.5));
}

TEST_CASE("DiffAugment: same bits on 1 and 2 threads, buffers reused", "[layers][diff_augment]") {
  const int saved = gan::num_threads();
  const gan::Shape s{6, 3, 9, 11};
  gan::Rng rng(5);
  const Tensor<double> x = random_tensor<double>(s, rng);
  const Tensor<double> dy = random_tensor<double>(s, rng);
  auto run = [&](int threads) {
    gan::set_num_threads(threads);
    gan::DiffAugment<double> aug("color,translation,cutout");
    gan::Rng r(9);
    Tensor<double> out = aug.forward(x, r);
    const Tensor<double> dx = aug.backward(dy);
    for (index_t i = 0; i < dx.size(); ++i) out[i] += 3 * dx[i];
    return out;
  };
  const Tensor<double> one = run(1), two = run(2);
  gan::set_num_threads(saved);
  REQUIRE(same_bits(one, two));

  // After the first call of a shape, forward and backward take turns with three buffers of
  // that shape (tests/alloc/steady_state.cpp counts the mallocs themselves).
  gan::DiffAugment<double> aug("color,translation,cutout");
  std::set<const double*> storage;
  for (int i = 0; i < 6; ++i) {
    storage.insert(aug.forward(x, rng).data());
    storage.insert(aug.backward(dy).data());
  }
  REQUIRE(storage.size() <= 3);
}

TEST_CASE("DiffAugment with an empty policy is the identity", "[layers][diff_augment]") {
  gan::DiffAugment<float> none("");
  REQUIRE(none.policy().empty());
  REQUIRE(none.name() == "DiffAugment()");
  gan::Rng rng(6);
  const Tensor<float> x = random_tensor<float>({2, 3, 5, 5}, rng);
  REQUIRE(same_bits(none.forward(x, rng), x));
  REQUIRE(same_bits(none.backward(x), x));
}

TEST_CASE("DiffAugment rejects bad shapes and out-of-order calls",
          "[layers][diff_augment][errors]") {
  gan::DiffAugment<float> aug("translation,cutout");
  gan::Rng rng(7);
  const auto name = Catch::Contains("DiffAugment(translation,cutout)");
  const Tensor<float> flat({4, 784});
  REQUIRE_THROWS_AS(aug.forward(flat, rng), gan::Error);
  REQUIRE_THROWS_WITH(aug.forward(flat, rng),
                      name && Catch::Contains("[N, C, H, W]") && Catch::Contains("[4, 784]"));
  REQUIRE_THROWS_WITH(aug.backward(Tensor<float>({2, 1, 4, 4})),
                      name && Catch::Contains("after a forward"));
  const Tensor<float> x({2, 1, 4, 4});
  aug.forward(x, rng);
  REQUIRE_THROWS_WITH(aug.backward(Tensor<float>({2, 1, 4, 5})),
                      name && Catch::Contains("[2, 1, 4, 4]") && Catch::Contains("[2, 1, 4, 5]"));
  REQUIRE_THROWS_WITH(aug.apply(Tensor<float>({3, 1, 4, 4})),
                      name && Catch::Contains("as drawn") && Catch::Contains("[3, 1, 4, 4]"));
  aug.draw({3, 1, 4, 4}, rng);  // a new draw: backward must wait for its forward
  REQUIRE_THROWS_WITH(aug.backward(Tensor<float>({3, 1, 4, 4})),
                      Catch::Contains("after a forward"));
}

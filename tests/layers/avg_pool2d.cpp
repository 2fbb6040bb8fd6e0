#include "gan/layers/avg_pool2d.hpp"

#include <catch2/catch.hpp>

#include "gan/core/rng.hpp"
#include "gan/testing/gradcheck.hpp"

static_assert(gan::is_layer_v<gan::AvgPool2d<float>> && gan::is_layer_v<gan::AvgPool2d<double>>,
              "AvgPool2d must meet the layer interface");

namespace {
using gan::index_t;
using gan::Tensor;
}  // namespace

TEST_CASE("AvgPool2d gradients match finite differences", "[layers][avg_pool2d][gradcheck]") {
  gan::Rng rng(1);
  struct Case {
    index_t k, s;
    gan::Shape x;
  };
  // Odd sizes (the last row and column fall outside every window), overlapping windows
  // (s < k), gaps between windows (s > k), batch > 1.
  for (const Case& c : {Case{2, 2, {2, 3, 7, 5}}, Case{3, 1, {3, 2, 6, 7}},
                        Case{2, 3, {2, 1, 8, 9}}, Case{1, 1, {1, 2, 3, 3}}}) {
    INFO("k " << c.k << ", s " << c.s << ", x " << c.x.str());
    gan::AvgPool2d<double> pool(c.k, c.s);
    Tensor<double> x(c.x);
    rng.fill_uniform(x, -1.0, 1.0);
    const auto r = gan::testing::check_layer_gradients(pool, x, rng);
    INFO(r.report);
    REQUIRE(r.ok);
  }
}

TEMPLATE_TEST_CASE("AvgPool2d averages each window, as torch.nn.AvgPool2d", "[layers][avg_pool2d]",
                   float, double) {
  using T = TestType;
  // One plane 5 x 5 holding 0..24: 2x2 windows at stride 2 give the 2 x 2 means below; the
  // fifth row and column belong to no window.
  Tensor<T> x({1, 1, 5, 5});
  for (index_t i = 0; i < 25; ++i) x[i] = static_cast<T>(i);
  gan::AvgPool2d<T> pool(2);
  REQUIRE(pool.stride() == 2);
  const Tensor<T>& y = pool.forward(x);
  REQUIRE(y.shape() == gan::Shape{1, 1, 2, 2});
  REQUIRE(y[0] == T(3));   // (0 + 1 + 5 + 6) / 4
  REQUIRE(y[1] == T(5));   // (2 + 3 + 7 + 8) / 4
  REQUIRE(y[2] == T(13));  // (10 + 11 + 15 + 16) / 4
  REQUIRE(y[3] == T(15));
  Tensor<T> dy({1, 1, 2, 2});
  dy.fill(T(1));
  const Tensor<T>& dx = pool.backward(dy);
  for (index_t h = 0; h < 5; ++h)
    for (index_t w = 0; w < 5; ++w) REQUIRE(dx(0, 0, h, w) == (h < 4 && w < 4 ? T(0.25) : T(0)));
  // A 28 x 28 batch halves to 14 x 14, every channel apart.
  REQUIRE(pool.output_shape({3, 2, 28, 28}) == gan::Shape{3, 2, 14, 14});
  REQUIRE(pool.parameters().empty());
  REQUIRE(pool.name() == "AvgPool2d(k=2, s=2)");
}

TEST_CASE("AvgPool2d refuses bad settings and inputs, naming itself",
          "[layers][avg_pool2d][errors]") {
  REQUIRE_THROWS_WITH(gan::AvgPool2d<float>(0),
                      Catch::Contains("AvgPool2d") && Catch::Contains("kernel_size"));
  gan::AvgPool2d<float> pool(3, 2);
  REQUIRE_THROWS_WITH(pool.forward(Tensor<float>({2, 1, 2, 5})),
                      Catch::Contains("AvgPool2d(k=3, s=2)") && Catch::Contains("H, W >= 3") &&
                          Catch::Contains("[2, 1, 2, 5]"));
  REQUIRE_THROWS_WITH(pool.forward(Tensor<float>({4, 9})), Catch::Contains("[4, 9]"));
  REQUIRE_THROWS_WITH(pool.backward(Tensor<float>({1, 1, 1, 1})),
                      Catch::Contains("after a forward"));
  pool.forward(Tensor<float>({1, 1, 7, 7}));
  REQUIRE_THROWS_WITH(pool.backward(Tensor<float>({1, 1, 2, 2})),
                      Catch::Contains("[1, 1, 3, 3]") && Catch::Contains("[1, 1, 2, 2]"));
}

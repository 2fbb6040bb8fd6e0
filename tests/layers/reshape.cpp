#include "gan/layers/reshape.hpp"

#include <catch2/catch.hpp>
#include <cstring>

#include "gan/core/rng.hpp"
#include "gan/testing/layer_contract.hpp"
#include "support.hpp"

static_assert(gan::is_layer_v<gan::Reshape<float>> && gan::is_layer_v<gan::Reshape<double>>,
              "Reshape must meet the layer interface");

namespace {

using gan::index_t;
using gan::Tensor;

template <class T>
bool same_elements(const Tensor<T>& a, const Tensor<T>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}

}  // namespace

TEMPLATE_TEST_CASE("Reshape views [2, 6272] as [2, 128, 7, 7] and back, without a copy",
                   "[layers][reshape]", float, double) {
  using T = TestType;
  gan::Reshape<T> reshape({128, 7, 7});
  REQUIRE(reshape.name() == "Reshape([128, 7, 7])");
  gan::Rng rng(1);
  Tensor<T> x({2, 6272}), dy({2, 128, 7, 7});
  rng.fill_uniform(x, -1.0, 1.0);
  rng.fill_uniform(dy, -1.0, 1.0);
  REQUIRE(reshape.output_shape(x.shape()) == gan::Shape{2, 128, 7, 7});

  const Tensor<T>& y = reshape.forward(x);
  REQUIRE(y.shape() == gan::Shape{2, 128, 7, 7});
  REQUIRE((y.data() == x.data() && y.is_view()));  // x's elements, not a copy
  // Row-major order is kept: element (n, c, h, w) is x[n, c * 49 + h * 7 + w].
  REQUIRE(same_elements(y, x));
  REQUIRE(y(1, 100, 3, 5) == x(1, 100 * 49 + 3 * 7 + 5));

  const Tensor<T>& dx = reshape.backward(dy);
  REQUIRE(dx.shape() == gan::Shape{2, 6272});
  REQUIRE((dx.data() == dy.data() && dx.is_view()));
  REQUIRE(same_elements(dx, dy));
  REQUIRE(dx(0, 6271) == dy(0, 127, 6, 6));
}

TEST_CASE("Reshape meets the layer contract, gradients included", "[layers][reshape][contract]") {
  gan::Rng rng(2);
  struct Case {
    gan::Shape target, in;
  };
  for (const Case& c : {Case{{3, 2, 2}, {2, 12}}, Case{{12}, {2, 3, 2, 2}}, Case{{5, 3}, {3, 15}},
                        Case{{1}, {4, 1}}}) {
    INFO("target " << c.target.str() << ", x " << c.in.str());
    gan::Reshape<double> reshape(c.target);
    const auto r = gan::testing::check_layer_contract(
        reshape, test_support::random_tensor<double>(c.in, rng), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    gan::Reshape<float> reshape_f(c.target);
    const auto rf = gan::testing::check_layer_contract(
        reshape_f, test_support::random_tensor<float>(c.in, rng), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEST_CASE("Reshape follows the input of the latest forward", "[layers][reshape]") {
  gan::Reshape<float> reshape({6});
  REQUIRE(reshape.parameters().empty());
  REQUIRE(reshape.buffers().empty());
  const Tensor<float> a({4, 2, 3}), b({3, 6});
  reshape.forward(a);
  REQUIRE(reshape.backward(Tensor<float>({4, 6})).shape() == gan::Shape{4, 2, 3});
  reshape.forward(b);
  REQUIRE(reshape.backward(Tensor<float>({3, 6})).shape() == gan::Shape{3, 6});
  reshape.set_requires_grad(false);
  REQUIRE(reshape.backward(Tensor<float>({3, 6})).shape() == gan::Shape{3, 6});
}

TEST_CASE("Reshape rejects a wrong element count with the expected and actual shape",
          "[layers][reshape][errors]") {
  gan::Reshape<float> reshape({128, 7, 7});
  const auto name = Catch::Contains("Reshape([128, 7, 7])");
  const Tensor<float> x({2, 6000});
  REQUIRE_THROWS_AS(reshape.forward(x), gan::Error);
  REQUIRE_THROWS_WITH(reshape.forward(x),
                      name && Catch::Contains("6272") && Catch::Contains("[2, 6000]"));
  REQUIRE_THROWS_WITH(reshape.output_shape({6272}), name && Catch::Contains("got [6272]"));

  REQUIRE_THROWS_AS(reshape.backward(Tensor<float>({2, 128, 7, 7})), gan::Error);
  REQUIRE_THROWS_WITH(reshape.backward(Tensor<float>({2, 128, 7, 7})), name);
  const Tensor<float> good({2, 6272});
  reshape.forward(good);
  REQUIRE_THROWS_WITH(reshape.backward(Tensor<float>({2, 6272})),
                      name && Catch::Contains("[2, 128, 7, 7]") && Catch::Contains("[2, 6272]"));
}

TEST_CASE("Reshape rejects an empty or too deep target", "[layers][reshape][errors]") {
  REQUIRE_THROWS_AS(gan::Reshape<float>(gan::Shape{}), gan::Error);
  REQUIRE_THROWS_WITH(gan::Reshape<float>(gan::Shape{}), Catch::Contains("Reshape"));
  REQUIRE_THROWS_AS(gan::Reshape<double>(gan::Shape{2, 3, 4, 5}), gan::Error);
  REQUIRE_NOTHROW(gan::Reshape<float>(gan::Shape{7}));
}

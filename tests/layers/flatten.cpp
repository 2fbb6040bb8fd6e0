#include "gan/layers/flatten.hpp"

#include <catch2/catch.hpp>
#include <cstring>

#include "gan/core/rng.hpp"
#include "gan/testing/layer_contract.hpp"
#include "support.hpp"

static_assert(gan::is_layer_v<gan::Flatten<float>> && gan::is_layer_v<gan::Flatten<double>>,
              "Flatten must meet the layer interface");

namespace {

using gan::index_t;
using gan::Tensor;

template <class T>
bool same_elements(const Tensor<T>& a, const Tensor<T>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}

}  // namespace

TEMPLATE_TEST_CASE("Flatten views [N, C, H, W] as [N, C * H * W] and back, without a copy",
                   "[layers][flatten]", float, double) {
  using T = TestType;
  gan::Flatten<T> flatten;
  REQUIRE(flatten.name() == "Flatten()");
  gan::Rng rng(1);
  Tensor<T> x({2, 128, 7, 7}), dy({2, 6272});
  rng.fill_uniform(x, -1.0, 1.0);
  rng.fill_uniform(dy, -1.0, 1.0);
  REQUIRE(flatten.output_shape(x.shape()) == gan::Shape{2, 6272});

  const Tensor<T>& y = flatten.forward(x);
  REQUIRE(y.shape() == gan::Shape{2, 6272});
  REQUIRE((y.data() == x.data() && y.is_view()));  // x's elements, not a copy
  REQUIRE(same_elements(y, x));
  REQUIRE(y(1, 100 * 49 + 3 * 7 + 5) == x(1, 100, 3, 5));

  const Tensor<T>& dx = flatten.backward(dy);
  REQUIRE(dx.shape() == gan::Shape{2, 128, 7, 7});
  REQUIRE((dx.data() == dy.data() && dx.is_view()));
  REQUIRE(same_elements(dx, dy));
  REQUIRE(dx(1, 127, 6, 6) == dy(1, 6271));
}

TEST_CASE("Flatten meets the layer contract, gradients included", "[layers][flatten][contract]") {
  gan::Rng rng(2);
  for (const gan::Shape& s : {gan::Shape{2, 3, 5, 7}, gan::Shape{3, 4, 2}, gan::Shape{4, 5}}) {
    INFO("x " << s.str());
    gan::Flatten<double> flatten;
    const auto r = gan::testing::check_layer_contract(
        flatten, test_support::random_tensor<double>(s, rng), rng);
    INFO(r.report);
    REQUIRE(r.ok);
    gan::Flatten<float> flatten_f;
    const auto rf = gan::testing::check_layer_contract(
        flatten_f, test_support::random_tensor<float>(s, rng), rng);
    INFO(rf.report);
    REQUIRE(rf.ok);
  }
}

TEST_CASE("Flatten follows the input of the latest forward", "[layers][flatten]") {
  gan::Flatten<float> flatten;
  REQUIRE(flatten.parameters().empty());
  REQUIRE(flatten.buffers().empty());
  REQUIRE(flatten.output_shape({5, 3}) == gan::Shape{5, 3});
  const Tensor<float> a({4, 2, 3}), b({3, 1, 2, 3});
  REQUIRE(flatten.forward(a).shape() == gan::Shape{4, 6});
  REQUIRE(flatten.backward(Tensor<float>({4, 6})).shape() == gan::Shape{4, 2, 3});
  REQUIRE(flatten.forward(b).shape() == gan::Shape{3, 6});
  REQUIRE(flatten.backward(Tensor<float>({3, 6})).shape() == gan::Shape{3, 1, 2, 3});
  flatten.set_requires_grad(false);
  REQUIRE(flatten.backward(Tensor<float>({3, 6})).shape() == gan::Shape{3, 1, 2, 3});
}

TEST_CASE("Flatten rejects a scalar input and a dy of the wrong shape",
          "[layers][flatten][errors]") {
  gan::Flatten<float> flatten;
  const auto name = Catch::Contains("Flatten()");
  const Tensor<float> scalar(gan::Shape{});
  REQUIRE_THROWS_AS(flatten.forward(scalar), gan::Error);
  REQUIRE_THROWS_WITH(flatten.forward(scalar),
                      name && Catch::Contains("[N, ...]") && Catch::Contains("got []"));

  REQUIRE_THROWS_AS(flatten.backward(Tensor<float>({2, 6})), gan::Error);
  REQUIRE_THROWS_WITH(flatten.backward(Tensor<float>({2, 6})), name);
  const Tensor<float> x({2, 3, 2});
  flatten.forward(x);
  REQUIRE_THROWS_WITH(flatten.backward(Tensor<float>({2, 3, 2})),
                      name && Catch::Contains("[2, 6]") && Catch::Contains("[2, 3, 2]"));
}

#include "gan/layers/sequential.hpp"

#include <catch2/catch.hpp>

#include "gan/testing/layer_contract.hpp"
#include "support.hpp"

namespace {

// A user-written layer, as docs/layers.md shows: y = a * x + b per feature.
template <class T>
class Affine : public gan::LayerBase<T> {
 public:
  explicit Affine(gan::index_t features)
      : a_({features}), b_({features}), da_({features}), db_({features}) {
    for (gan::index_t i = 0; i < features; ++i) {
      a_[i] = T(1) + T(0.25) * static_cast<T>(i);
      b_[i] = T(0.1) * static_cast<T>(i);
    }
  }
  gan::Shape output_shape(const gan::Shape& in) const {
    if (in.rank() != 2 || in[1] != a_.size())
      throw gan::input_error(name(), "[N, " + std::to_string(a_.size()) + "]", in);
    return in;
  }
  const gan::Tensor<T>& forward(const gan::Tensor<T>& x) {
    y_.resize(output_shape(x.shape()));
    x_ = &x;
    for (gan::index_t n = 0; n < x.dim(0); ++n)
      for (gan::index_t f = 0; f < x.dim(1); ++f) y_(n, f) = a_[f] * x(n, f) + b_[f];
    return y_;
  }
  const gan::Tensor<T>& backward(const gan::Tensor<T>& dy) {
    dx_.resize(dy.shape());
    for (gan::index_t n = 0; n < dy.dim(0); ++n)
      for (gan::index_t f = 0; f < dy.dim(1); ++f) {
        dx_(n, f) = a_[f] * dy(n, f);
        if (this->requires_grad()) {
          da_[f] += (*x_)(n, f) * dy(n, f);
          db_[f] += dy(n, f);
        }
      }
    return dx_;
  }
  std::vector<gan::Parameter<T>> parameters() { return {{"weight", a_, da_}, {"bias", b_, db_}}; }
  void zero_grad() noexcept {
    da_.zero();
    db_.zero();
  }
  std::string name() const { return "Affine(" + std::to_string(a_.size()) + ")"; }

 private:
  gan::Tensor<T> a_, b_, da_, db_, y_, dx_;
  const gan::Tensor<T>* x_ = nullptr;
};

// A parameter-free layer: y = x^2.
template <class T>
class Square : public gan::LayerBase<T> {
 public:
  gan::Shape output_shape(const gan::Shape& in) const { return in; }
  const gan::Tensor<T>& forward(const gan::Tensor<T>& x) {
    x_ = &x;
    y_.resize(x.shape());
    for (gan::index_t i = 0; i < x.size(); ++i) y_[i] = x[i] * x[i];
    return y_;
  }
  const gan::Tensor<T>& backward(const gan::Tensor<T>& dy) {
    dx_.resize(dy.shape());
    for (gan::index_t i = 0; i < dy.size(); ++i) dx_[i] = 2 * (*x_)[i] * dy[i];
    return dx_;
  }
  std::string name() const { return "Square()"; }

 private:
  gan::Tensor<T> y_, dx_;
  const gan::Tensor<T>* x_ = nullptr;
};

static_assert(gan::is_layer_v<Affine<float>>);
static_assert(gan::is_layer_v<Square<double>>);
static_assert(!gan::is_layer_v<int>);
static_assert(!gan::is_layer_v<gan::Tensor<float>>);

}  // namespace

TEMPLATE_TEST_CASE("Sequential equals its layers called one by one", "[layers][sequential]", float,
                   double) {
  gan::Sequential net{Affine<TestType>(3), Square<TestType>(), Affine<TestType>(3)};
  static_assert(gan::is_layer_v<decltype(net)>);
  Affine<TestType> a(3), c(3);
  Square<TestType> b;

  gan::Tensor<TestType> x({2, 3}), dy({2, 3});
  gan::Rng rng(7);
  rng.fill_uniform(x, -1, 1);
  rng.fill_uniform(dy, -1, 1);

  const auto& y = net.forward(x);
  const auto& y_ref = c.forward(b.forward(a.forward(x)));
  REQUIRE(y.shape() == y_ref.shape());
  for (gan::index_t i = 0; i < y.size(); ++i) REQUIRE(y[i] == y_ref[i]);

  net.zero_grad();
  a.zero_grad();
  c.zero_grad();
  const auto& dx = net.backward(dy);
  const auto& dx_ref = a.backward(b.backward(c.backward(dy)));
  for (gan::index_t i = 0; i < dx.size(); ++i) REQUIRE(dx[i] == dx_ref[i]);

  auto params = net.parameters();
  auto pa = a.parameters(), pc = c.parameters();
  REQUIRE(params.size() == 4);
  for (gan::index_t i = 0; i < 3; ++i) {
    REQUIRE(params[0].grad[i] == pa[0].grad[i]);
    REQUIRE(params[3].grad[i] == pc[1].grad[i]);
  }
}

TEST_CASE("Sequential names parameters as a PyTorch state_dict", "[layers][sequential]") {
  gan::Sequential net{Affine<float>(2), Square<float>(), Affine<float>(2)};
  std::vector<std::string> names;
  for (auto& p : net.parameters()) names.push_back(p.name);
  REQUIRE(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});

  gan::Sequential outer{Square<float>(), gan::Sequential{Affine<float>(2)}};
  names.clear();
  for (auto& p : outer.parameters()) names.push_back(p.name);
  REQUIRE(names == std::vector<std::string>{"1.0.weight", "1.0.bias"});
  REQUIRE(outer.name() == "Sequential(Square(), Sequential(Affine(2)))");
}

TEST_CASE("Sequential passes shape errors from the layer that refuses", "[layers][sequential]") {
  gan::Sequential net{Affine<float>(3), Affine<float>(3)};
  REQUIRE(net.output_shape({5, 3}) == gan::Shape{5, 3});
  gan::Tensor<float> bad({5, 4});
  REQUIRE_THROWS_WITH(net.forward(bad), Catch::Contains("Affine(3)") && Catch::Contains("[N, 3]") &&
                                            Catch::Contains("[5, 4]"));
}

TEST_CASE("Sequential meets the layer contract, gradients included",
          "[layers][sequential][contract]") {
  gan::Sequential net{Affine<double>(5), Square<double>(), Affine<double>(5)};
  gan::Rng rng(11);
  const auto r = gan::testing::check_layer_contract(
      net, test_support::random_tensor<double>({3, 5}, rng), rng);
  INFO(r.report);
  REQUIRE(r.ok);
  REQUIRE(r.gradients_checked);
  gan::Sequential net_f{Affine<float>(5), Square<float>(), Affine<float>(5)};
  const auto rf = gan::testing::check_layer_contract(
      net_f, test_support::random_tensor<float>({3, 5}, rng), rng);
  INFO(rf.report);
  REQUIRE(rf.ok);
}

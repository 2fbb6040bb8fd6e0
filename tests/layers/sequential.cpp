#include "gan/layers/sequential.hpp"

#include <catch2/catch.hpp>
#include <tuple>

#include "gan/layers/batch_norm2d.hpp"
#include "gan/layers/conv2d.hpp"
#include "gan/layers/conv_transpose2d.hpp"
#include "gan/layers/dense.hpp"
#include "gan/layers/flatten.hpp"
#include "gan/layers/leaky_relu.hpp"
#include "gan/layers/relu.hpp"
#include "gan/layers/reshape.hpp"
#include "gan/layers/sigmoid.hpp"
#include "gan/layers/tanh.hpp"
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

namespace {
// A net with an activation after each kind of layer that leaves a free buffer (Dense,
// ConvTranspose2d + BatchNorm2d, Conv2d), views between them, and a caller-facing end.
template <class T>
auto in_place_net() {
  return gan::Sequential{gan::Dense<T>(5, 24),
                         gan::LeakyReLU<T>(T(0.2)),
                         gan::Reshape<T>({6, 2, 2}),
                         gan::ConvTranspose2d<T>(6, 3, 3, 2, 1),
                         gan::BatchNorm2d<T>(3),
                         gan::ReLU<T>(),
                         gan::Conv2d<T>(3, 4, 3, 1, 1),
                         gan::Tanh<T>(),
                         gan::Flatten<T>(),
                         gan::Dense<T>(36, 2),
                         gan::Sigmoid<T>()};
}
using InPlaceLayers = typename decltype(in_place_net<float>())::Layers;

// Where the activations run in place, decided from the layers' memory flags.
static_assert(gan::detail::forward_in_place<InPlaceLayers, 1>() &&   // over Dense's y
              gan::detail::forward_in_place<InPlaceLayers, 5>() &&   // over BatchNorm's y
              gan::detail::forward_in_place<InPlaceLayers, 7>() &&   // over Conv2d's y
              gan::detail::forward_in_place<InPlaceLayers, 10>());   // over Dense's y
static_assert(gan::detail::backward_in_place<InPlaceLayers, 1>() &&  // over ConvT's dx, via Reshape
              gan::detail::backward_in_place<InPlaceLayers, 5>() &&  // over Conv2d's dx
              gan::detail::backward_in_place<InPlaceLayers, 4>() &&  // BatchNorm: the same
              gan::detail::backward_in_place<InPlaceLayers, 7>() &&  // over Dense's dx, via Flatten
              !gan::detail::backward_in_place<InPlaceLayers, 10>());  // the caller's dy
static_assert(!gan::detail::forward_in_place<InPlaceLayers, 0>() &&
              !gan::detail::forward_in_place<InPlaceLayers, 4>() &&  // BatchNorm reads its x
              !gan::detail::backward_in_place<InPlaceLayers, 3>());  // not element-wise
// The caller's x is never written: an activation first, or after a view of x, is not in place.
using ActFirst = std::tuple<gan::ReLU<float>, gan::Dense<float>>;
using ViewThenAct = std::tuple<gan::Flatten<float>, gan::ReLU<float>>;
static_assert(!gan::detail::forward_in_place<ActFirst, 0>() &&
              !gan::detail::forward_in_place<ViewThenAct, 1>());
// Two activations in a row: the second may not overwrite the first's output (it reads it).
using TwoActs = std::tuple<gan::Dense<float>, gan::Sigmoid<float>, gan::Tanh<float>>;
static_assert(gan::detail::forward_in_place<TwoActs, 1>() &&
              !gan::detail::forward_in_place<TwoActs, 2>() &&
              gan::detail::backward_in_place<TwoActs, 1>() &&
              !gan::detail::backward_in_place<TwoActs, 2>());
// A layer that states no flags (Affine) is never written over; nested Sequentials pass theirs.
using UserLayer = std::tuple<Affine<float>, gan::ReLU<float>, Affine<float>>;
static_assert(!gan::detail::forward_in_place<UserLayer, 1>() &&
              !gan::detail::backward_in_place<UserLayer, 1>());
using Block = decltype(gan::Sequential{gan::Conv2d<float>(1, 1, 1), gan::ReLU<float>()});
static_assert(!Block::overwritable_output && Block::overwritable_input_grad);
using DenseThenView = decltype(gan::Sequential{gan::Dense<float>(1, 4), gan::Reshape<float>({4})});
static_assert(DenseThenView::overwritable_output);
}  // namespace

TEMPLATE_TEST_CASE("Sequential's in-place activations give the bits of the layers one by one",
                   "[layers][sequential][memory]", float, double) {
  using T = TestType;
  auto net = in_place_net<T>();
  auto ref = net;  // the same layers, called one by one below: every layer its own buffers
  gan::Rng rng(5);
  const gan::Tensor<T> x = test_support::random_tensor<T>({3, 5}, rng);
  const gan::Tensor<T> dy = test_support::random_tensor<T>({3, 2}, rng);
  const gan::Tensor<T> x_before = x, dy_before = dy;

  const gan::Tensor<T> y = net.forward(x);
  const gan::Tensor<T>& h1 = ref.template get<1>().forward(ref.template get<0>().forward(x));
  const gan::Tensor<T>& h2 = ref.template get<3>().forward(ref.template get<2>().forward(h1));
  const gan::Tensor<T>& h3 = ref.template get<5>().forward(ref.template get<4>().forward(h2));
  const gan::Tensor<T>& h4 = ref.template get<7>().forward(ref.template get<6>().forward(h3));
  const gan::Tensor<T>& h5 = ref.template get<8>().forward(h4);
  const gan::Tensor<T>& y_ref = ref.template get<10>().forward(ref.template get<9>().forward(h5));
  REQUIRE(test_support::same_bits(y, y_ref));

  net.zero_grad();
  ref.zero_grad();
  const gan::Tensor<T> dx = net.backward(dy);
  const gan::Tensor<T>* g = &ref.template get<10>().backward(dy);
  g = &ref.template get<9>().backward(*g);
  g = &ref.template get<8>().backward(*g);
  g = &ref.template get<7>().backward(*g);
  g = &ref.template get<6>().backward(*g);
  g = &ref.template get<5>().backward(*g);
  g = &ref.template get<4>().backward(*g);
  g = &ref.template get<3>().backward(*g);
  g = &ref.template get<2>().backward(*g);
  g = &ref.template get<1>().backward(*g);
  g = &ref.template get<0>().backward(*g);
  REQUIRE(test_support::same_bits(dx, *g));
  auto p = net.parameters(), p_ref = ref.parameters();
  REQUIRE(p.size() == p_ref.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    INFO(p[i].name);
    REQUIRE(test_support::same_bits(p[i].grad, p_ref[i].grad));
  }
  REQUIRE(test_support::same_bits(x, x_before));  // the caller's tensors are never written
  REQUIRE(test_support::same_bits(dy, dy_before));

  // The output is the last Dense's own buffer: the Sigmoid wrote over it.
  const gan::Tensor<T>* out = &net.forward(x);
  REQUIRE(out == &net.template get<9>().forward(h5));
}

namespace {
// DCGAN's blocks: ConvTranspose2d, BatchNorm2d, ReLU nested in an outer Sequential.
template <class T>
auto block(gan::index_t in, gan::index_t out) {
  return gan::Sequential{gan::ConvTranspose2d<T>(in, out, 4, 2, 1, false), gan::BatchNorm2d<T>(out),
                         gan::ReLU<T>()};
}
template <class T>
auto blocks_net() {
  return gan::Sequential{block<T>(3, 4), block<T>(4, 2), gan::ConvTranspose2d<T>(2, 1, 3, 1, 1),
                         gan::Tanh<T>()};
}
using BlocksLayers = typename decltype(blocks_net<float>())::Layers;
using BlockLayers = typename decltype(block<float>(1, 1))::Layers;
// The outer Sequential hands each block a free dy (the next layer's own input gradient), so
// the block's ReLU runs in place too; called alone, a block leaves its dy alone (the ReLU
// writes a buffer of its own, which the BatchNorm2d then writes over).
static_assert(gan::detail::backward_in_place<BlocksLayers, 0>() &&
              gan::detail::backward_in_place<BlocksLayers, 1>() &&
              !gan::detail::backward_in_place<BlocksLayers, 3>());
static_assert(gan::detail::backward_in_place<BlockLayers, 2, true>() &&
              !gan::detail::backward_in_place<BlockLayers, 2, false>() &&
              gan::detail::backward_in_place<BlockLayers, 1, false>());
}  // namespace

TEST_CASE("Nested blocks run their last layers in place and give the bits of the layers one by one",
          "[layers][sequential][memory]") {
  auto net = blocks_net<double>();
  auto ref = net;
  gan::Rng rng(14);
  const gan::Tensor<double> x = test_support::random_tensor<double>({3, 3, 2, 3}, rng);
  const gan::Tensor<double> dy = test_support::random_tensor<double>({3, 1, 8, 12}, rng);
  const gan::Tensor<double> dy_before = dy;
  const gan::Tensor<double> y = net.forward(x);
  auto& b0 = ref.get<0>();
  auto& b1 = ref.get<1>();
  const auto& h0 = b0.get<2>().forward(b0.get<1>().forward(b0.get<0>().forward(x)));
  const auto& h1 = b1.get<2>().forward(b1.get<1>().forward(b1.get<0>().forward(h0)));
  const auto& y_ref = ref.get<3>().forward(ref.get<2>().forward(h1));
  REQUIRE(test_support::same_bits(y, y_ref));

  net.zero_grad();
  ref.zero_grad();
  const gan::Tensor<double> dx = net.backward(dy);
  const gan::Tensor<double>* g = &ref.get<2>().backward(ref.get<3>().backward(dy));
  g = &b1.get<0>().backward(b1.get<1>().backward(b1.get<2>().backward(*g)));
  g = &b0.get<0>().backward(b0.get<1>().backward(b0.get<2>().backward(*g)));
  REQUIRE(test_support::same_bits(dx, *g));
  auto p = net.parameters(), p_ref = ref.parameters();
  for (std::size_t i = 0; i < p.size(); ++i) {
    INFO(p[i].name);
    REQUIRE(test_support::same_bits(p[i].grad, p_ref[i].grad));
  }
  REQUIRE(test_support::same_bits(dy, dy_before));

  const auto r = gan::testing::check_layer_contract(net, x, rng);
  INFO(r.report);
  REQUIRE(r.ok);
  REQUIRE(r.gradients_checked);
}

TEST_CASE("Sequential with in-place activations meets the layer contract, gradients included",
          "[layers][sequential][memory][contract][gradcheck]") {
  auto net = in_place_net<double>();
  gan::Rng rng(12);
  const auto r = gan::testing::check_layer_contract(
      net, test_support::random_tensor<double>({3, 5}, rng), rng);
  INFO(r.report);
  REQUIRE(r.ok);
  REQUIRE(r.gradients_checked);
}

TEST_CASE("A LeakyReLU with a negative slope reads x, so it never runs in place",
          "[layers][sequential][memory][gradcheck]") {
  gan::LeakyReLU<double> negative(-0.5);
  REQUIRE_FALSE(negative.in_place_ok());
  REQUIRE(gan::LeakyReLU<double>(0.0).in_place_ok());
  gan::Tensor<double> t({2, 3});
  REQUIRE_THROWS_WITH(negative.forward_in_place(t),
                      Catch::Contains("LeakyReLU(-0.5): cannot run in place"));

  gan::Sequential net{gan::Dense<double>(4, 6), gan::LeakyReLU<double>(-0.5),
                      gan::Dense<double>(6, 3)};
  gan::Rng rng(13);
  const gan::Tensor<double> x = test_support::random_tensor<double>({5, 4}, rng);
  const gan::Tensor<double> y = net.forward(x);
  auto ref = net;
  const auto& y_ref = ref.get<2>().forward(ref.get<1>().forward(ref.get<0>().forward(x)));
  REQUIRE(test_support::same_bits(y, y_ref));
  const auto r = gan::testing::check_layer_contract(net, x, rng);
  INFO(r.report);
  REQUIRE(r.ok);
}

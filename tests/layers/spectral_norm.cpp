#include "gan/layers/spectral_norm.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/layers/flatten.hpp"
#include "gan/layers/init.hpp"
#include "gan/layers/leaky_relu.hpp"
#include "gan/layers/sequential.hpp"
#include "gan/testing/gradcheck.hpp"

static_assert(gan::is_layer_v<gan::SpectralNorm<gan::Dense<float>>> &&
                  gan::is_layer_v<gan::SpectralNorm<gan::Conv2d<double>>> &&
                  gan::is_layer_v<gan::SpectralNorm<gan::ConvTranspose2d<float>>>,
              "SpectralNorm must meet the layer interface");
static_assert(gan::SpectralNorm<gan::ConvTranspose2d<float>>::dim == 1 &&
                  gan::SpectralNorm<gan::Conv2d<float>>::dim == 0,
              "PyTorch's default dim: 1 for transposed convolutions, else 0");

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

template <class Net>
Tensor<typename Net::value_type>& param(Net& net, const std::string& name, bool grad = false) {
  for (auto& p : net.parameters())
    if (p.name == name) return grad ? p.grad : p.value;
  throw gan::Error("no parameter " + name);
}

template <class Net>
Tensor<typename Net::value_type>& buffer(Net& net, const std::string& name) {
  for (auto& b : net.buffers())
    if (b.name == name) return b.value;
  throw gan::Error("no buffer " + name);
}

// The weight as PyTorch's reshape_weight_to_matrix builds it, written out from its definition:
// dim = 0 reshapes w to [w.size(0), -1]; dim = 1 first permutes to [d1, d0, rest...].
template <class T>
std::vector<std::vector<double>> weight_matrix(const Tensor<T>& w, int dim) {
  const index_t d0 = w.dim(0), d1 = w.dim(1), rest = w.size() / (d0 * d1);
  const index_t rows = dim == 0 ? d0 : d1, cols = w.size() / rows;
  std::vector<std::vector<double>> m(rows, std::vector<double>(cols));
  for (index_t a = 0; a < d0; ++a)
    for (index_t b = 0; b < d1; ++b)
      for (index_t s = 0; s < rest; ++s) {
        const double value = w[(a * d1 + b) * rest + s];
        if (dim == 0)
          m[a][b * rest + s] = value;
        else
          m[b][a * rest + s] = value;
      }
  return m;
}

// One power iteration and sigma in double, as torch.nn.utils.spectral_norm computes them.
struct PowerStep {
  std::vector<double> u, v;
  double sigma = 0;
};

PowerStep power_step(const std::vector<std::vector<double>>& m, std::vector<double> u,
                     std::vector<double> v, bool iterate) {
  const std::size_t rows = m.size(), cols = m[0].size();
  auto normalize = [](std::vector<double>& a) {
    double n = 0;
    for (double x : a) n += x * x;
    n = std::max(std::sqrt(n), 1e-12);
    for (double& x : a) x /= n;
  };
  if (iterate) {
    for (std::size_t c = 0; c < cols; ++c) {
      v[c] = 0;
      for (std::size_t r = 0; r < rows; ++r) v[c] += m[r][c] * u[r];
    }
    normalize(v);
    for (std::size_t r = 0; r < rows; ++r) {
      u[r] = 0;
      for (std::size_t c = 0; c < cols; ++c) u[r] += m[r][c] * v[c];
    }
    normalize(u);
  }
  double sigma = 0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) sigma += u[r] * m[r][c] * v[c];
  return {u, v, sigma};
}

template <class T>
std::vector<double> as_vector(const Tensor<T>& t) {
  return std::vector<double>(t.begin(), t.end());
}

// The three wrapped layers with odd sizes, and an input for each.
template <class T>
gan::SpectralNorm<gan::Dense<T>> sn_dense(bool bias) {
  return gan::spectral_norm(gan::Dense<T>(7, 5, bias));
}
template <class T>
gan::SpectralNorm<gan::Conv2d<T>> sn_conv(bool bias) {
  return gan::spectral_norm(gan::Conv2d<T>(3, 4, 3, 2, 1, bias));
}
template <class T>
gan::SpectralNorm<gan::ConvTranspose2d<T>> sn_convt(bool bias) {
  return gan::spectral_norm(gan::ConvTranspose2d<T>(3, 2, 3, 2, 1, bias));
}
const gan::Shape dense_in{3, 7}, conv_in{2, 3, 5, 7}, convt_in{2, 3, 3, 4};

// The gradient is exact when u and v stay fixed, that is in eval mode. One training forward
// first moves u, v away from their random start, as in a real run.
template <class Layer>
void check_gradients(Layer& layer, const gan::Shape& in) {
  gan::Rng rng(21);
  const Tensor<double> x = random_tensor<double>(in, rng);
  layer.forward(x);
  layer.eval();
  const gan::testing::GradcheckResult r = gan::testing::check_layer_gradients(layer, x, rng);
  INFO(layer.name() << "\n" << r.report);
  REQUIRE(r.ok);
}

// forward in training mode against the reference iteration and the plain layer run with
// W_orig / sigma; then u, v, sigma as PyTorch would have them.
template <class Layer, class Plain>
void check_forward(Layer& sn, Plain plain, const gan::Shape& in, double tol) {
  using T = typename Layer::value_type;
  gan::Rng rng(8);
  const Tensor<T> x = random_tensor<T>(in, rng);
  for (int step = 0; step < 3; ++step) {
    const auto m = weight_matrix(param(sn, "weight_orig"), Layer::dim);
    const PowerStep ref =
        power_step(m, as_vector(buffer(sn, "weight_u")), as_vector(buffer(sn, "weight_v")), true);
    const Tensor<T> y = sn.forward(x);
    REQUIRE(sn.sigma() == Approx(ref.sigma).epsilon(tol));
    const Tensor<T>& u = buffer(sn, "weight_u");
    const Tensor<T>& v = buffer(sn, "weight_v");
    for (std::size_t i = 0; i < ref.u.size(); ++i)
      REQUIRE(u[index_t(i)] == Approx(ref.u[i]).margin(tol));
    for (std::size_t i = 0; i < ref.v.size(); ++i)
      REQUIRE(v[index_t(i)] == Approx(ref.v[i]).margin(tol));

    Tensor<T>& w = param(plain, "weight");
    const Tensor<T>& w_orig = param(sn, "weight_orig");
    for (index_t i = 0; i < w.size(); ++i) w[i] = w_orig[i] / sn.sigma();
    if (sn.parameters().size() == 2) param(plain, "bias").copy_from(param(sn, "bias"));
    REQUIRE(same_bits(plain.forward(x), y));
  }
}

}  // namespace

TEST_CASE("SpectralNorm gradients match finite differences", "[layers][spectral_norm][gradcheck]") {
  gan::manual_seed(4);
  for (bool bias : {true, false}) {
    auto dense = sn_dense<double>(bias);
    check_gradients(dense, dense_in);
    auto conv = sn_conv<double>(bias);
    check_gradients(conv, conv_in);
    auto convt = sn_convt<double>(bias);
    check_gradients(convt, convt_in);
  }
  auto single = gan::spectral_norm(gan::Dense<double>(1, 1));
  check_gradients(single, {4, 1});
}

TEST_CASE("SpectralNorm gradients hold inside Sequential", "[layers][spectral_norm][gradcheck]") {
  gan::manual_seed(5);
  gan::Sequential net{gan::spectral_norm(gan::Conv2d<double>(1, 3, 3, 2, 1)),
                      gan::LeakyReLU<double>(0.2), gan::Flatten<double>(),
                      gan::spectral_norm(gan::Dense<double>(3 * 3 * 4, 2))};
  REQUIRE(net.parameters()[0].name == "0.weight_orig");
  net.train();
  check_gradients(net, {3, 1, 5, 7});
}

TEMPLATE_TEST_CASE("SpectralNorm forward is PyTorch's power iteration and W / sigma",
                   "[layers][spectral_norm]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  gan::manual_seed(6);
  auto dense = sn_dense<T>(true);
  check_forward(dense, gan::Dense<T>(7, 5), dense_in, tol);
  auto conv = sn_conv<T>(false);
  check_forward(conv, gan::Conv2d<T>(3, 4, 3, 2, 1, false), conv_in, tol);
  auto convt = sn_convt<T>(true);
  check_forward(convt, gan::ConvTranspose2d<T>(3, 2, 3, 2, 1), convt_in, tol);
}

TEST_CASE("SpectralNorm finds the largest singular value", "[layers][spectral_norm]") {
  // A rank-one W = a b^T has sigma = |a| |b| and one power iteration finds it exactly:
  // a = (1, 2, 3), b = (1, -2) gives sqrt(14 * 5) = sqrt(70).
  auto rank_one = gan::spectral_norm(gan::Dense<double>(2, 3, false));
  Tensor<double>& w = param(rank_one, "weight_orig");
  const double a[3] = {1, 2, 3}, b[2] = {1, -2};
  for (index_t r = 0; r < 3; ++r)
    for (index_t c = 0; c < 2; ++c) w(r, c) = a[r] * b[c];
  const Tensor<double> x({1, 2});
  rank_one.forward(x);
  REQUIRE(rank_one.sigma() == Approx(std::sqrt(70.0)).epsilon(1e-14));

  // diag(3, -2, 0.5): the iteration converges to 3, and W_sn then has spectral norm 1.
  auto diag = gan::spectral_norm(gan::Dense<double>(3, 3, false));
  Tensor<double>& d = param(diag, "weight_orig");
  d.zero();
  d(0, 0) = 3;
  d(1, 1) = -2;
  d(2, 2) = 0.5;
  const Tensor<double> x3({1, 3});
  for (int i = 0; i < 60; ++i) diag.forward(x3);
  REQUIRE(diag.sigma() == Approx(3.0).epsilon(1e-9));
  const Tensor<double>& w_sn = diag.weight();
  REQUIRE(w_sn(0, 0) == Approx(1.0).epsilon(1e-9));
  REQUIRE(w_sn(1, 1) == Approx(-2.0 / 3).epsilon(1e-9));
  REQUIRE(w_sn(0, 1) == 0.0);
}

TEST_CASE("SpectralNorm in eval mode keeps u and v", "[layers][spectral_norm]") {
  gan::manual_seed(7);
  auto conv = sn_conv<double>(true);
  gan::Rng rng(2);
  const Tensor<double> x = random_tensor<double>(conv_in, rng);
  const Tensor<double> u0 = buffer(conv, "weight_u"), v0 = buffer(conv, "weight_v");
  conv.eval();
  REQUIRE_FALSE(conv.is_training());
  const Tensor<double> y1 = conv.forward(x);
  const Tensor<double> y2 = conv.forward(x);
  REQUIRE(same_bits(buffer(conv, "weight_u"), u0));
  REQUIRE(same_bits(buffer(conv, "weight_v"), v0));
  REQUIRE(same_bits(y1, y2));
  const PowerStep ref =
      power_step(weight_matrix(param(conv, "weight_orig"), 0), as_vector(u0), as_vector(v0), false);
  REQUIRE(conv.sigma() == Approx(ref.sigma).epsilon(1e-12));

  conv.train();
  conv.forward(x);
  REQUIRE_FALSE(same_bits(buffer(conv, "weight_u"), u0));
  REQUIRE_FALSE(same_bits(buffer(conv, "weight_v"), v0));
}

TEST_CASE("SpectralNorm accumulates gradients, honours frozen mode and zero_grad",
          "[layers][spectral_norm]") {
  gan::manual_seed(8);
  auto convt = sn_convt<double>(true);
  gan::Rng rng(3);
  const Tensor<double> x = random_tensor<double>(convt_in, rng);
  const Tensor<double> dy = random_tensor<double>(convt.output_shape(x.shape()), rng);
  convt.eval();
  convt.forward(x);
  const Tensor<double> dx1 = convt.backward(dy);
  const Tensor<double> dw1 = param(convt, "weight_orig", true);
  const Tensor<double> db1 = param(convt, "bias", true);
  REQUIRE(std::abs(dw1[0]) > 0);
  const Tensor<double>& dx2 = convt.backward(dy);
  REQUIRE(same_bits(dx1, dx2));
  for (index_t i = 0; i < dw1.size(); ++i)
    REQUIRE(param(convt, "weight_orig", true)[i] == Approx(2 * dw1[i]).epsilon(1e-12));
  for (index_t i = 0; i < db1.size(); ++i)
    REQUIRE(param(convt, "bias", true)[i] == Approx(2 * db1[i]).epsilon(1e-12));

  for (auto& p : convt.parameters()) p.grad.fill(0.25);
  convt.set_requires_grad(false);
  REQUIRE_FALSE(convt.requires_grad());
  convt.forward(x);
  REQUIRE(same_bits(convt.backward(dy), dx1));
  for (auto& p : convt.parameters())
    for (double g : p.grad) REQUIRE(g == 0.25);

  convt.zero_grad();
  for (auto& p : convt.parameters())
    for (double g : p.grad) REQUIRE(g == 0.0);
}

TEMPLATE_TEST_CASE("SpectralNorm names its tensors as PyTorch's state_dict",
                   "[layers][spectral_norm]", float, double) {
  using T = TestType;
  gan::manual_seed(9);
  gan::Conv2d<T> conv(3, 4, 3, 2, 1);
  const Tensor<T> w = conv.parameters()[0].value;
  gan::Rng rng(10);
  auto sn = gan::spectral_norm(conv, rng);
  REQUIRE(sn.name() == "SpectralNorm(Conv2d(3->4, k=3, s=2, p=1))");
  REQUIRE(sn.geometry().rows == 4);
  REQUIRE(sn.geometry().cols() == 27);
  auto params = sn.parameters();
  REQUIRE(params.size() == 2);
  REQUIRE(params[0].name == "weight_orig");
  REQUIRE(same_bits(params[0].value, w));  // the wrapped layer's weight becomes weight_orig
  REQUIRE(params[1].name == "bias");
  auto buffers = sn.buffers();
  REQUIRE(buffers.size() == 2);
  REQUIRE(buffers[0].name == "weight_u");
  REQUIRE(buffers[0].value.shape() == gan::Shape{4});
  REQUIRE(buffers[1].name == "weight_v");
  REQUIRE(buffers[1].value.shape() == gan::Shape{27});
  for (auto& b : buffers) {  // normalised N(0, 1) draws
    double norm = 0;
    for (T e : b.value) norm += double(e) * e;
    REQUIRE(std::sqrt(norm) == Approx(1.0).epsilon(1e-6));
  }
  // Seeded: the same rng state draws the same u, v; u is drawn first.
  gan::Rng again(10);
  auto sn2 = gan::spectral_norm(conv, again);
  REQUIRE(same_bits(sn2.buffers()[0].value, buffers[0].value));
  REQUIRE(same_bits(sn2.buffers()[1].value, buffers[1].value));
  gan::Rng first(10);
  Tensor<T> u({4});
  first.fill_normal(u);
  REQUIRE(u[1] / u[0] == Approx(buffers[0].value[1] / buffers[0].value[0]));

  // ConvTranspose2d [in = 3, out = 2, 3, 3]: W is [out, in * k * k] = [2, 27].
  auto convt = gan::spectral_norm(gan::ConvTranspose2d<T>(3, 2, 3));
  REQUIRE(convt.buffers()[0].value.shape() == gan::Shape{2});
  REQUIRE(convt.buffers()[1].value.shape() == gan::Shape{27});

  gan::Sequential net{gan::spectral_norm(gan::Conv2d<T>(1, 2, 3)), gan::LeakyReLU<T>(T(0.2)),
                      gan::Flatten<T>(), gan::spectral_norm(gan::Dense<T>(8, 1, false))};
  std::vector<std::string> names;
  for (auto& p : net.parameters()) names.push_back(p.name);
  for (auto& b : net.buffers()) names.push_back(b.name);
  REQUIRE(names == std::vector<std::string>{"0.weight_orig", "0.bias", "3.weight_orig",
                                            "0.weight_u", "0.weight_v", "3.weight_u",
                                            "3.weight_v"});
}

TEST_CASE("SpectralNorm copies and moves own their wrapped weight", "[layers][spectral_norm]") {
  gan::manual_seed(11);
  auto a = sn_dense<double>(true);
  a.eval();
  gan::Rng rng(4);
  const Tensor<double> x = random_tensor<double>(dense_in, rng);
  auto b = a;  // copy: the same state, separate storage
  const Tensor<double> ya = a.forward(x);
  REQUIRE(same_bits(b.forward(x), ya));
  param(b, "weight_orig").fill(0.5);
  b.forward(x);
  REQUIRE(same_bits(a.forward(x), ya));
  REQUIRE(a.weight()[0] != b.weight()[0]);

  auto c = std::move(b);  // move: c's forward writes c's own wrapped weight
  c.forward(x);
  REQUIRE(c.weight()[0] == 0.5 / c.sigma());
  a = c;
  REQUIRE(same_bits(a.forward(x), c.forward(x)));
  REQUIRE(&a.weight() != &c.weight());
}

TEST_CASE("SpectralNorm rejects bad input with the wrapped layer's message",
          "[layers][spectral_norm][errors]") {
  auto conv = gan::spectral_norm(gan::Conv2d<float>(1, 4, 4, 2, 1));
  const Tensor<float> u0 = buffer(conv, "weight_u");
  const Tensor<float> wrong({2, 3, 8, 8});
  REQUIRE_THROWS_AS(conv.forward(wrong), gan::Error);
  REQUIRE_THROWS_WITH(conv.forward(wrong), Catch::Contains("Conv2d(1->4, k=4, s=2, p=1)") &&
                                               Catch::Contains("[2, 3, 8, 8]"));
  REQUIRE(same_bits(buffer(conv, "weight_u"), u0));  // a refused input changes nothing
  REQUIRE_THROWS_WITH(
      conv.backward(Tensor<float>({2, 4, 4, 4})),
      Catch::Contains("SpectralNorm(Conv2d(1->4") && Catch::Contains("before forward"));
  const Tensor<float> x({2, 1, 8, 8});
  conv.forward(x);
  REQUIRE_THROWS_WITH(conv.backward(Tensor<float>({2, 4, 3, 3})),
                      Catch::Contains("[2, 4, 4, 4]") && Catch::Contains("[2, 4, 3, 3]"));

  auto zero = gan::spectral_norm(gan::Dense<double>(3, 2));
  param(zero, "weight_orig").zero();
  REQUIRE_THROWS_WITH(zero.forward(Tensor<double>({1, 3})),
                      Catch::Contains("SpectralNorm(Dense(3->2))") && Catch::Contains("sigma"));
}

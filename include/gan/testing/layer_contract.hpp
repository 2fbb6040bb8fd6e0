#pragma once
/// check_layer_contract: everything the layer interface (layers/layer.hpp) promises,
/// checked on one layer at one input, so that a layer of the library or a user's own is
/// tested the same way (the pattern of dlib's test_layer: one checker that every layer
/// passes through, rather than each test restating the rules).
///
///   gan::Rng rng(1);
///   gan::Conv2d<double> conv(3, 2, 4, 2, 1);
///   gan::Tensor<double> x({2, 3, 7, 5});
///   rng.fill_uniform(x, -1, 1);
///   const auto r = gan::testing::check_layer_contract(conv, x, rng);
///   INFO(r.report);
///   REQUIRE(r.ok);
///
/// What it checks, each a line of the report when it fails:
///   shape       output_shape(x.shape()) is the shape forward(x) returns
///   forward     forward(x) twice gives the same bits, also after a forward of another input
///               (no state leaks from one call into the next)
///   backward    backward(dy) twice after one forward gives the same dx bits (dx is
///               overwritten, not accumulated)
///   accumulate  with every parameter gradient pre-filled with noise G0, backward adds:
///               grad == G0 + fresh gradient (a layer that writes `=` instead of `+=` loses
///               G0 and fails; so does one that zeroes its gradients itself)
///   zero_grad   zero_grad() leaves every gradient exactly 0
///   frozen      with set_requires_grad(false), backward leaves noise-filled gradients
///               bit for bit as they were and still returns the same dx
///   parameters  names are unique and non-empty; every grad has its value's shape
///   gradients   (Layer<double> only, unless options.gradients is false) the finite-
///               difference check of gradcheck.hpp, every input and parameter element
///
/// Tolerance of the accumulate check, in one place: the layer may add its fresh gradient
/// into G0 in another order than a separate fresh pass sums it (a GEMM adds its k-blocks
/// one by one), so the two differ by rounding: |grad - (G0 + fresh)| <= 1024 eps
/// (|G0| + max |fresh|) accepts every such order (about 1e-4 relative in float, 2e-13 in
/// double), while a lost G0 is wrong by |G0|, on average 0.5 with G0 uniform in [-1, 1].
///
/// The layer is checked in the mode it is in (train or eval) and left with requires_grad
/// on and zeroed gradients; it needs only the interface of is_layer_v.
/// Inputs of piecewise-linear layers must lie away from their kinks, as for gradcheck.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"
#include "gan/layers/layer.hpp"
#include "gan/testing/gradcheck.hpp"

namespace gan::testing {

struct ContractOptions {
  /// Run the finite-difference gradient check (only possible for Layer<double>).
  bool gradients = true;
  GradcheckOptions gradcheck{};
};

struct ContractResult {
  bool ok = true;
  std::vector<std::string> failures;  ///< one line per broken promise, "accumulate: ..."
  std::string report;                 ///< the failures joined by newlines
  GradcheckResult gradcheck;          ///< the gradient check's own result, if it ran
  bool gradients_checked = false;

  explicit operator bool() const noexcept { return ok; }
};

namespace detail {

template <class T>
bool same_bits(const Tensor<T>& a, const Tensor<T>& b) noexcept {
  return a.shape() == b.shape() &&
         (a.size() == 0 ||
          std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0);
}

/// The first index where a and b differ in bits, or -1.
template <class T>
index_t first_difference(const Tensor<T>& a, const Tensor<T>& b) noexcept {
  for (index_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return i;
  return a.size() == b.size() ? -1 : std::min(a.size(), b.size());
}

inline std::string num(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

}  // namespace detail

/// Checks every promise of the layer interface at input x (see the header comment).
template <class Layer>
ContractResult check_layer_contract(Layer& layer, const Tensor<typename Layer::value_type>& x,
                                    Rng& rng, const ContractOptions& options = {}) {
  static_assert(is_layer_v<Layer>, "check_layer_contract: Layer must meet gan::is_layer_v");
  using T = typename Layer::value_type;
  ContractResult r;
  const std::string who = layer.name();
  auto fail = [&r](const std::string& what) {
    r.ok = false;
    r.failures.push_back(what);
    r.report += what + "\n";
  };
  layer.set_requires_grad(true);

  // parameters: unique names, gradients shaped like their values.
  std::set<std::string> names;
  for (auto& p : layer.parameters()) {
    if (p.name.empty()) fail("parameters: " + who + " has a parameter without a name");
    if (!names.insert(p.name).second)
      fail("parameters: " + who + " has two parameters named '" + p.name + "'");
    if (p.grad.shape() != p.value.shape())
      fail("parameters: '" + p.name + "' grad has shape " + p.grad.shape().str() + ", its value " +
           p.value.shape().str());
  }

  // shape and forward.
  const Shape expected = layer.output_shape(x.shape());
  const Tensor<T> y = layer.forward(x);
  if (y.shape() != expected)
    fail("shape: output_shape(" + x.shape().str() + ") = " + expected.str() +
         ", but forward returned " + y.shape().str());
  if (!detail::same_bits(layer.forward(x), y))
    fail("forward: a second forward of the same input gave other bits (element " +
         std::to_string(detail::first_difference(layer.forward(x), y)) + ")");
  Tensor<T> other(x.shape());
  rng.fill_uniform(other, -1.0, 1.0);
  layer.forward(other);
  const Tensor<T>& again = layer.forward(x);
  if (!detail::same_bits(again, y))
    fail(
        "forward: forward(x) after a forward of another input differs from the first "
        "forward(x) (element " +
        std::to_string(detail::first_difference(again, y)) + "): state leaks between calls");

  // backward twice, and accumulation into noise-filled gradients.
  Tensor<T> dy(y.shape());
  rng.fill_uniform(dy, -1.0, 1.0);
  layer.zero_grad();
  const Tensor<T> dx = layer.backward(dy);
  if (dx.shape() != x.shape())
    fail("backward: dx has shape " + dx.shape().str() + ", the input " + x.shape().str());
  std::vector<Tensor<T>> fresh, noise;
  for (auto& p : layer.parameters()) {
    fresh.push_back(p.grad);
    Tensor<T> g0(p.grad.shape());
    rng.fill_uniform(g0, -1.0, 1.0);
    p.grad = g0;
    noise.push_back(std::move(g0));
  }
  const Tensor<T>& dx2 = layer.backward(dy);
  if (!detail::same_bits(dx2, dx))
    fail("backward: a second backward of the same dy gave another dx (element " +
         std::to_string(detail::first_difference(dx2, dx)) +
         "): dx must be overwritten, not accumulated");
  const double eps = std::numeric_limits<T>::epsilon();
  std::size_t k = 0;
  for (auto& p : layer.parameters()) {
    const Tensor<T>& f = fresh[k];
    const Tensor<T>& g0 = noise[k++];
    double scale = 0.0;
    for (T v : f) scale = std::max(scale, std::abs(static_cast<double>(v)));
    for (index_t i = 0; i < p.grad.size(); ++i) {
      const double want = static_cast<double>(g0[i]) + static_cast<double>(f[i]);
      const double got = static_cast<double>(p.grad[i]);
      if (!(std::abs(got - want) <= 1024 * eps * (std::abs(static_cast<double>(g0[i])) + scale))) {
        fail("accumulate: backward did not add into the gradient of '" + p.name +
             "' already holding values (element " + std::to_string(i) + ": expected " +
             detail::num(want) + " = " + detail::num(g0[i]) + " + " + detail::num(f[i]) + ", got " +
             detail::num(got) + "): gradients must be added with +=, not set");
        break;
      }
    }
  }

  // zero_grad.
  layer.zero_grad();
  for (auto& p : layer.parameters())
    for (index_t i = 0; i < p.grad.size(); ++i)
      if (p.grad[i] != T(0)) {
        fail("zero_grad: the gradient of '" + p.name + "' is " + detail::num(p.grad[i]) +
             " at element " + std::to_string(i) + " after zero_grad()");
        break;
      }

  // frozen: gradients untouched, same dx.
  layer.set_requires_grad(false);
  noise.clear();
  for (auto& p : layer.parameters()) {
    rng.fill_uniform(p.grad, -1.0, 1.0);
    noise.push_back(p.grad);
  }
  layer.forward(x);
  const Tensor<T>& dx_frozen = layer.backward(dy);
  if (!detail::same_bits(dx_frozen, dx))
    fail("frozen: with requires_grad false, backward gave another dx (element " +
         std::to_string(detail::first_difference(dx_frozen, dx)) + ")");
  k = 0;
  for (auto& p : layer.parameters())
    if (!detail::same_bits(p.grad, noise[k++]))
      fail("frozen: backward changed the gradient of '" + p.name +
           "' although requires_grad is false");
  layer.set_requires_grad(true);

  // gradients: finite differences (double only).
  if constexpr (std::is_same_v<T, double>) {
    if (options.gradients) {
      r.gradcheck = check_layer_gradients(layer, x, rng, options.gradcheck);
      r.gradients_checked = true;
      if (!r.gradcheck.ok)
        fail("gradients: finite differences disagree with backward (" +
             std::to_string(r.gradcheck.failures) + " elements, worst error " +
             detail::num(r.gradcheck.max_abs_error) + "):\n" + r.gradcheck.report);
    }
  }

  layer.zero_grad();
  return r;
}

}  // namespace gan::testing

#pragma once
/// Finite-difference gradient checks, public so that users can check layers of their
/// own (docs/layers.md shows how).
///
/// check_layer_gradients(layer, x, rng) compares the layer's backward pass against
/// central differences of the scalar L = sum(forward(x) .* R), R a fixed random
/// tensor: dL/dy = R, so backward(R) must give dL/dx and (added into the zeroed
/// parameter gradients) dL/dparam. Every input element and every parameter element is
/// checked. Run it in double precision.
///
/// Tolerance, in one place: with step h = 1e-6 the central difference has truncation
/// error O(h^2 f''') ~ 1e-12 and rounding error ~ eps_double * |L| / h ~ 1e-10 |L|,
/// so |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|) with
/// rtol = 1e-6 and atol = 1e-8 accepts a correct gradient and rejects any real bug
/// (a wrong index or a missing term changes values by O(1) relative).
/// Piecewise-linear layers (ReLU, LeakyReLU) must be fed inputs away from their kinks.

#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"
#include "gan/layers/layer.hpp"

namespace gan::testing {

struct GradcheckOptions {
  double step = 1e-6;
  double rtol = 1e-6;
  double atol = 1e-8;
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;  ///< worst |analytic - numeric|
  int failures = 0;            ///< elements outside the tolerance
  std::string report;          ///< the first few failures, "x[3]: analytic .. numeric .."

  explicit operator bool() const noexcept { return ok; }
};

namespace detail {
inline void compare(GradcheckResult& r, const std::string& what, index_t i, double analytic,
                    double numeric, const GradcheckOptions& o) {
  const double err = std::abs(analytic - numeric);
  if (err > r.max_abs_error) r.max_abs_error = err;
  if (err > o.atol + o.rtol * std::max(std::abs(analytic), std::abs(numeric)) ||
      !std::isfinite(analytic)) {
    r.ok = false;
    if (r.failures++ < 8) {
      std::ostringstream os;
      os.precision(10);
      os << what << "[" << i << "]: analytic " << analytic << ", numeric " << numeric << "\n";
      r.report += os.str();
    }
  }
}

inline double dot(const Tensor<double>& a, const Tensor<double>& b) {
  double s = 0.0;
  for (index_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
}  // namespace detail

/// Checks dL/dx and every parameter gradient of `layer` at input `x`.
template <class Layer>
GradcheckResult check_layer_gradients(Layer& layer, const Tensor<double>& x, Rng& rng,
                                      const GradcheckOptions& o = {}) {
  static_assert(std::is_same_v<typename Layer::value_type, double>,
                "gradient checks run in double precision: use Layer<double>");
  GradcheckResult r;
  Tensor<double> weights(layer.output_shape(x.shape()));
  rng.fill_uniform(weights, -1.0, 1.0);
  auto loss = [&](const Tensor<double>& in) { return detail::dot(layer.forward(in), weights); };

  layer.zero_grad();
  layer.forward(x);
  const Tensor<double> dx = layer.backward(weights);

  Tensor<double> probe = x;
  for (index_t i = 0; i < x.size(); ++i) {
    const double saved = probe[i];
    probe[i] = saved + o.step;
    const double up = loss(probe);
    probe[i] = saved - o.step;
    const double down = loss(probe);
    probe[i] = saved;
    detail::compare(r, "input", i, dx[i], (up - down) / (2 * o.step), o);
  }
  for (auto& p : layer.parameters()) {
    for (index_t i = 0; i < p.value.size(); ++i) {
      const double saved = p.value[i];
      p.value[i] = saved + o.step;
      const double up = loss(x);
      p.value[i] = saved - o.step;
      const double down = loss(x);
      p.value[i] = saved;
      detail::compare(r, p.name, i, p.grad[i], (up - down) / (2 * o.step), o);
    }
  }
  return r;
}

/// Checks the gradient of a scalar function of one tensor: f(x, grad) returns f(x)
/// and writes df/dx into grad (the form of gan's losses, with the target bound).
inline GradcheckResult check_function_gradient(
    const std::function<double(const Tensor<double>&, Tensor<double>&)>& f, const Tensor<double>& x,
    const GradcheckOptions& o = {}) {
  GradcheckResult r;
  Tensor<double> grad(x.shape()), scratch(x.shape());
  f(x, grad);
  Tensor<double> probe = x;
  for (index_t i = 0; i < x.size(); ++i) {
    const double saved = probe[i];
    probe[i] = saved + o.step;
    const double up = f(probe, scratch);
    probe[i] = saved - o.step;
    const double down = f(probe, scratch);
    probe[i] = saved;
    detail::compare(r, "input", i, grad[i], (up - down) / (2 * o.step), o);
  }
  return r;
}

}  // namespace gan::testing

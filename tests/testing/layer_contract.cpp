#include "gan/testing/layer_contract.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "gan/layers/layer.hpp"
#include "support.hpp"

namespace {

using gan::index_t;
using gan::Tensor;

// The ways a layer breaks its contract, one at a time.
enum class Bug {
  none,
  assign_grad,          // weight grad written with = instead of +=
  zero_then_add,        // backward zeroes its gradients before adding (loses what was there)
  accumulate_dx,        // dx += instead of dx =
  ignores_frozen,       // adds gradients although requires_grad is false
  wrong_output_shape,   // output_shape disagrees with forward
  stateful_forward,     // forward depends on how often it ran
  zero_grad_forgets_b,  // zero_grad leaves the bias gradient alone
  wrong_gradient,       // the bias gradient is 10 % off
};

// y[n, f] = w[f] * x[n, f] + b[f] on [N, F], correct unless told to break one rule.
template <class T>
class Scale : public gan::LayerBase<T> {
 public:
  Scale(index_t features, Bug bug)
      : w_({features}), b_({features}), dw_({features}), db_({features}), bug_(bug) {
    for (index_t f = 0; f < features; ++f) {
      w_[f] = T(0.5) + T(0.25) * static_cast<T>(f);
      b_[f] = T(0.1) * static_cast<T>(f) - T(0.2);
    }
  }
  gan::Shape output_shape(const gan::Shape& in) const {
    if (in.rank() != 2 || in[1] != w_.size()) throw gan::input_error(name(), "[N, F]", in);
    return bug_ == Bug::wrong_output_shape ? gan::Shape{in[0], in[1] + 1} : in;
  }
  const Tensor<T>& forward(const Tensor<T>& x) {
    output_shape(x.shape());
    x_ = &x;
    y_.resize(x.shape());
    const T drift = bug_ == Bug::stateful_forward ? T(1e-3) * static_cast<T>(calls_++) : T(0);
    for (index_t n = 0; n < x.dim(0); ++n)
      for (index_t f = 0; f < x.dim(1); ++f) y_(n, f) = w_[f] * x(n, f) + b_[f] + drift;
    return y_;
  }
  const Tensor<T>& backward(const Tensor<T>& dy) {
    const Tensor<T>& x = *x_;
    if (bug_ == Bug::accumulate_dx && dx_.shape() == x.shape()) {
      for (index_t i = 0; i < x.size(); ++i) dx_[i] += dy[i] * w_[i % w_.size()];
    } else {
      dx_.resize(x.shape());
      for (index_t i = 0; i < x.size(); ++i) dx_[i] = dy[i] * w_[i % w_.size()];
    }
    if (!this->requires_grad() && bug_ != Bug::ignores_frozen) return dx_;
    if (bug_ == Bug::zero_then_add) zero_grad();
    for (index_t f = 0; f < w_.size(); ++f) {
      T gw = 0, gb = 0;
      for (index_t n = 0; n < x.dim(0); ++n) {
        gw += dy(n, f) * x(n, f);
        gb += dy(n, f);
      }
      if (bug_ == Bug::assign_grad)
        dw_[f] = gw;
      else
        dw_[f] += gw;
      db_[f] += bug_ == Bug::wrong_gradient ? T(1.1) * gb : gb;
    }
    return dx_;
  }
  std::vector<gan::Parameter<T>> parameters() { return {{"weight", w_, dw_}, {"bias", b_, db_}}; }
  void zero_grad() noexcept {
    dw_.fill(T(0));
    if (bug_ != Bug::zero_grad_forgets_b) db_.fill(T(0));
  }
  std::string name() const { return "Scale(" + std::to_string(w_.size()) + ")"; }

 private:
  Tensor<T> w_, b_, dw_, db_, y_, dx_;
  const Tensor<T>* x_ = nullptr;
  Bug bug_;
  int calls_ = 0;
};

template <class T>
gan::testing::ContractResult check(Bug bug) {
  gan::Rng rng(21);
  Scale<T> layer(5, bug);
  const Tensor<T> x = test_support::random_tensor<T>({3, 5}, rng);
  return gan::testing::check_layer_contract(layer, x, rng);
}

}  // namespace

TEMPLATE_TEST_CASE("check_layer_contract passes a correct layer", "[testing][contract]", float,
                   double) {
  const auto r = check<TestType>(Bug::none);
  INFO(r.report);
  REQUIRE(r.ok);
  REQUIRE(r.failures.empty());
  REQUIRE(r.gradients_checked == std::is_same_v<TestType, double>);
}

TEMPLATE_TEST_CASE("check_layer_contract rejects a layer that writes = instead of +=",
                   "[testing][contract]", float, double) {
  for (Bug bug : {Bug::assign_grad, Bug::zero_then_add}) {
    const auto r = check<TestType>(bug);
    INFO(r.report);
    REQUIRE_FALSE(r.ok);
    // assign_grad loses the weight's gradient only; zero_then_add loses both.
    REQUIRE(r.failures.size() == (bug == Bug::assign_grad ? 1u : 2u));
    REQUIRE_THAT(r.failures[0], Catch::StartsWith("accumulate:") && Catch::Contains("'weight'") &&
                                    Catch::Contains("+=, not set"));
  }
}

TEMPLATE_TEST_CASE("check_layer_contract names each broken promise", "[testing][contract]", float,
                   double) {
  struct Case {
    Bug bug;
    const char* first_failure;
  };
  for (const Case& c : {Case{Bug::accumulate_dx, "backward: a second backward"},
                        Case{Bug::ignores_frozen, "frozen: backward changed the gradient"},
                        Case{Bug::wrong_output_shape, "shape: output_shape([3, 5]) = [3, 6]"},
                        Case{Bug::stateful_forward, "forward: a second forward"},
                        Case{Bug::zero_grad_forgets_b, "zero_grad: the gradient of 'bias'"}}) {
    const auto r = check<TestType>(c.bug);
    INFO(r.report);
    REQUIRE_FALSE(r.ok);
    REQUIRE_THAT(r.failures.at(0), Catch::StartsWith(c.first_failure));
  }
}

TEST_CASE("check_layer_contract runs the gradient check in double", "[testing][contract]") {
  const auto r = check<double>(Bug::wrong_gradient);
  REQUIRE_FALSE(r.ok);
  REQUIRE(r.gradients_checked);
  REQUIRE_FALSE(r.gradcheck.ok);
  REQUIRE(r.failures.size() == 1);
  REQUIRE_THAT(r.failures[0], Catch::StartsWith("gradients:") && Catch::Contains("bias["));
  // In float the same bug goes unnoticed: there is no gradient check to run.
  REQUIRE(check<float>(Bug::wrong_gradient).ok);

  gan::Rng rng(3);
  Scale<double> layer(4, Bug::wrong_gradient);
  gan::testing::ContractOptions no_gradients;
  no_gradients.gradients = false;
  const auto skipped = gan::testing::check_layer_contract(
      layer, test_support::random_tensor<double>({2, 4}, rng), rng, no_gradients);
  REQUIRE(skipped.ok);
  REQUIRE_FALSE(skipped.gradients_checked);
}

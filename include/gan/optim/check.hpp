#pragma once
/// Validation shared by the optimisers: bad options and mismatched parameters are a
/// user's mistake, so they throw gan::Error naming the optimiser, the option or
/// parameter, and the expected vs. actual value.

#include <sstream>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/parameter.hpp"

namespace gan::detail {

/// Throws "<who>: invalid <option> <value> (expected <expected>)" unless ok.
inline void check_option(bool ok, const std::string& who, const std::string& option, double value,
                         const std::string& expected) {
  if (ok) return;
  std::ostringstream os;
  os << who << ": invalid " << option << ' ' << value << " (expected " << expected << ')';
  throw Error(os.str());
}

/// Every parameter's gradient must have its value's shape.
template <class T>
void check_parameters(const std::string& who, const std::vector<Parameter<T>>& params) {
  for (const auto& p : params)
    if (p.grad.shape() != p.value.shape())
      throw Error(who + ": parameter '" + p.name + "' has value " + p.value.shape().str() +
                  " but grad " + p.grad.shape().str());
}

/// Before a step: the parameter still has the size its optimiser state was made for.
template <class T>
void check_state_size(const std::string& who, const Parameter<T>& p, const Tensor<T>& state) {
  if (p.value.size() != state.size() || p.grad.size() != state.size())
    throw Error(who + ": parameter '" + p.name + "' has value " + p.value.shape().str() +
                " and grad " + p.grad.shape().str() + ", but its state was made for " +
                state.shape().str() + " (parameters must not be resized after the optimiser)");
}

}  // namespace gan::detail

#pragma once
/// Parameter<T> and Buffer<T>: named references to the tensors a layer owns, the common
/// currency of layers (parameters(), buffers()), optimisers (which update values from
/// grads) and checkpoints (which save and restore values by name).
///
///   Parameter{name, value, grad}: a trained tensor and its gradient, same shape, named as
///                                 in PyTorch ("weight", "bias"; "0.weight" in Sequential)
///   Buffer{name, value}:          state that is saved but not trained ("running_mean")
///
/// Both refer to storage owned by the layer (or optimiser) that made them: they are valid
/// while it lives and its tensors are not reallocated.

#include <string>

#include "gan/core/tensor.hpp"

namespace gan {

/// A trainable tensor of a layer and its gradient, named as in PyTorch ("weight").
template <class T>
struct Parameter {
  std::string name;
  Tensor<T>& value;
  Tensor<T>& grad;
};

/// A tensor of state that is saved but not trained ("running_mean").
template <class T>
struct Buffer {
  std::string name;
  Tensor<T>& value;
};

}  // namespace gan

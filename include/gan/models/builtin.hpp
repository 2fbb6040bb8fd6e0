#pragma once
/// builtin_models(): the registry of every ready-made model (zoo_28.hpp, zoo_dcgan.hpp).
/// Including this header instantiates every net in the including translation unit; a
/// program that wants faster builds registers the zoo headers from translation units of
/// their own (as gan's programs do, see examples/common/).

#include "gan/models/registry.hpp"
#include "gan/models/zoo_28.hpp"
#include "gan/models/zoo_dcgan.hpp"

namespace gan::models {

inline const Registry& builtin_models() {
  static const Registry registry = [] {
    Registry r;
    add_28_models(r);
    add_dcgan_models(r);
    return r;
  }();
  return registry;
}

}  // namespace gan::models

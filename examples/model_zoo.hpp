#pragma once
// The ready-made models the programs know by name, and the metadata that ties a
// checkpoint to one of them.

#include <gan/gan.hpp>
#include <gan/models/dcgan28.hpp>
#include <gan/models/mlp28.hpp>
#include <string>
#include <utility>

namespace zoo {

inline constexpr gan::index_t z_dim = 100;
inline const char* const model_names = "dcgan28-bn (default), dcgan28, mlp";

inline bool known(const std::string& name) {
  return name == "dcgan28-bn" || name == "dcgan28" || name == "mlp";
}

/// Calls f(generator, discriminator) with freshly built networks of the named model,
/// initialised from seed: DCGAN's N(0, 0.02) for the convolutional models (Radford et al.
/// 2016), PyTorch's defaults for the MLP.
template <class F>
int with_model(const std::string& name, gan::index_t classes, std::uint64_t seed, F&& f) {
  gan::manual_seed(seed);
  auto dcgan = [&](auto g, auto d) {
    gan::dcgan_init(g.net(), gan::default_rng());
    gan::dcgan_init(d.net(), gan::default_rng());
    return f(g, d);
  };
  if (name == "dcgan28-bn")
    return dcgan(gan::nets::dcgan28_bn_generator<float>(z_dim, classes),
                 gan::nets::dcgan28_discriminator<float>(classes));
  if (name == "dcgan28")
    return dcgan(gan::nets::dcgan28_generator<float>(z_dim, classes),
                 gan::nets::dcgan28_discriminator<float>(classes));
  if (name == "mlp") {
    auto g = gan::nets::mlp28_generator<float>(z_dim, classes);
    auto d = gan::nets::mlp28_discriminator<float>(classes);
    return f(g, d);
  }
  throw gan::Error("unknown model '" + name + "': expected " + model_names);
}

}  // namespace zoo

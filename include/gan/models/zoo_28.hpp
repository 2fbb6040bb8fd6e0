#pragma once
/// The registry entries of the 28x28 grey models (images in [0, 1], Sigmoid out):
///   dcgan28-bn  DCGAN-28 with BatchNorm in G (the default of the programs)
///   dcgan28     DCGAN-28, the benchmark reference net
///   mlp         the fully connected GAN of Goodfellow et al. 2014, for quick runs
/// Convolutional models start from DCGAN's N(0, 0.02) (Radford et al. 2016), the MLP from
/// PyTorch's defaults. See dcgan28.hpp and mlp28.hpp for the layers.

#include "gan/layers/init.hpp"
#include "gan/models/dcgan28.hpp"
#include "gan/models/mlp28.hpp"
#include "gan/models/registry.hpp"

namespace gan::models {

namespace detail {
template <class Net>
Net dcgan_initialised(Net net) {
  dcgan_init(net.net(), default_rng());
  return net;
}
}  // namespace detail

inline void add_28_models(Registry& r) {
  using nets::dcgan28_discriminator;
  using nets::dcgan28_logits_discriminator;
  auto dcgan_d = [](const ModelSpec& s) -> std::unique_ptr<AnyDiscriminator<float>> {
    if (s.projection && s.spectral_norm)
      return erase_discriminator(detail::dcgan_initialised(
          nets::dcgan28_sn_projection_discriminator<float>(s.classes, s.d_output)));
    if (s.projection)
      return erase_discriminator(detail::dcgan_initialised(
          nets::dcgan28_projection_discriminator<float>(s.classes, s.d_output)));
    if (s.spectral_norm && s.d_output == Output::logits)
      return erase_discriminator(
          detail::dcgan_initialised(nets::dcgan28_sn_logits_discriminator<float>(s.classes)));
    if (s.spectral_norm)
      return erase_discriminator(
          detail::dcgan_initialised(nets::dcgan28_sn_discriminator<float>(s.classes)));
    if (s.d_output == Output::logits)
      return erase_discriminator(
          detail::dcgan_initialised(dcgan28_logits_discriminator<float>(s.classes)));
    return erase_discriminator(detail::dcgan_initialised(dcgan28_discriminator<float>(s.classes)));
  };
  r.add({"dcgan28-bn",
         "DCGAN-28 with BatchNorm in the generator (28x28 grey)",
         {28},
         {1},
         0,
         data::Range::unit,
         [](const ModelSpec& s) {
           return erase_generator(
               detail::dcgan_initialised(nets::dcgan28_bn_generator<float>(s.z_dim, s.classes)));
         },
         dcgan_d,
         true});
  r.add({"dcgan28",
         "DCGAN-28, the benchmark reference net (28x28 grey)",
         {28},
         {1},
         0,
         data::Range::unit,
         [](const ModelSpec& s) {
           return erase_generator(
               detail::dcgan_initialised(nets::dcgan28_generator<float>(s.z_dim, s.classes)));
         },
         dcgan_d,
         true});
  r.add({"mlp",
         "fully connected GAN, for quick runs (28x28 grey)",
         {28},
         {1},
         0,
         data::Range::unit,
         [](const ModelSpec& s) {
           return erase_generator(nets::mlp28_generator<float>(s.z_dim, s.classes));
         },
         [](const ModelSpec& s) -> std::unique_ptr<AnyDiscriminator<float>> {
           if (s.d_output == Output::logits || s.spectral_norm)
             throw Error(
                 "model mlp has no logits or spectral-norm discriminator: use a "
                 "convolutional model");
           return erase_discriminator(nets::mlp28_discriminator<float>(s.classes));
         }});
}

}  // namespace gan::models

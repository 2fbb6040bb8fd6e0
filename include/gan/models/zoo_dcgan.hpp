#pragma once
/// The registry entries of DCGAN-32 and DCGAN-64 (dcgan.hpp), grey or colour, width set by
/// ModelSpec::width (default 64, PyTorch's ngf = ndf), images in [-1, 1] (Tanh out),
/// initialised as in DCGAN: N(0, 0.02) weights, N(1, 0.02) BatchNorm scales, zero biases.

#include "gan/models/dcgan.hpp"
#include "gan/models/registry.hpp"
#include "gan/models/zoo_28.hpp"

namespace gan::models {

inline void add_dcgan_models(Registry& r) {
  r.add({"dcgan32",
         "DCGAN for 32x32 grey or colour images (Radford et al. 2016)",
         {32},
         {1, 3},
         64,
         data::Range::symmetric,
         [](const ModelSpec& s) {
           return erase_generator(detail::dcgan_initialised(
               nets::dcgan32_generator<float>(s.z_dim, s.channels, s.width, s.classes)));
         },
         [](const ModelSpec& s) -> std::unique_ptr<AnyDiscriminator<float>> {
           if (s.spectral_norm && s.d_output == Output::logits)
             return erase_discriminator(detail::dcgan_initialised(
                 Discriminator(nets::dcgan32_sn_body<float>(s.channels, s.width, s.classes),
                               s.classes, Output::logits)));
           if (s.spectral_norm)
             return erase_discriminator(detail::dcgan_initialised(Discriminator(
                 Sequential{nets::dcgan32_sn_body<float>(s.channels, s.width, s.classes),
                            Sigmoid<float>()},
                 s.classes)));
           if (s.d_output == Output::logits)
             return erase_discriminator(detail::dcgan_initialised(
                 nets::dcgan32_logits_discriminator<float>(s.channels, s.width, s.classes)));
           return erase_discriminator(detail::dcgan_initialised(
               nets::dcgan32_discriminator<float>(s.channels, s.width, s.classes)));
         }});
  r.add({"dcgan64",
         "DCGAN for 64x64 grey or colour images (PyTorch's DCGAN example)",
         {64},
         {1, 3},
         64,
         data::Range::symmetric,
         [](const ModelSpec& s) {
           return erase_generator(detail::dcgan_initialised(
               nets::dcgan64_generator<float>(s.z_dim, s.channels, s.width, s.classes)));
         },
         [](const ModelSpec& s) -> std::unique_ptr<AnyDiscriminator<float>> {
           if (s.spectral_norm && s.d_output == Output::logits)
             return erase_discriminator(detail::dcgan_initialised(
                 Discriminator(nets::dcgan64_sn_body<float>(s.channels, s.width, s.classes),
                               s.classes, Output::logits)));
           if (s.spectral_norm)
             return erase_discriminator(detail::dcgan_initialised(Discriminator(
                 Sequential{nets::dcgan64_sn_body<float>(s.channels, s.width, s.classes),
                            Sigmoid<float>()},
                 s.classes)));
           if (s.d_output == Output::logits)
             return erase_discriminator(detail::dcgan_initialised(
                 nets::dcgan64_logits_discriminator<float>(s.channels, s.width, s.classes)));
           return erase_discriminator(detail::dcgan_initialised(
               nets::dcgan64_discriminator<float>(s.channels, s.width, s.classes)));
         }});
}

}  // namespace gan::models

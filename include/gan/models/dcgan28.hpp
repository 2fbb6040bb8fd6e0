#pragma once
/// DCGAN-28 (Radford et al. 2016, scaled to 28x28 MNIST), the benchmark reference net.
///
/// Generator, z: [N, z_dim (+ classes)] -> [N, 1, 28, 28] in (0, 1):
///   0 Dense(z -> 128*7*7), 1 LeakyReLU(0.2), 2 Reshape(128, 7, 7),
///   3 ConvTranspose2d(128 -> 64, k4 s2 p1)  7 -> 14, 4 LeakyReLU(0.2),
///   5 ConvTranspose2d(64 -> 1, k4 s2 p1)   14 -> 28, 6 Sigmoid
/// Discriminator, [N, 1 (+ classes), 28, 28] -> [N, 1]:
///   0 Conv2d(1 -> 64, k4 s2 p1) 28 -> 14, 1 LeakyReLU(0.2),
///   2 Conv2d(64 -> 128, k4 s2 p1) 14 -> 7, 3 LeakyReLU(0.2), 4 Flatten,
///   5 Dense(6272 -> 1), 6 Sigmoid (dropped for Output::logits)
/// The indices are the parameter names' prefixes, as in the same nn.Sequential in PyTorch.
/// dcgan28_bn inserts BatchNorm2d(64) after the first transposed convolution of the
/// generator (DCGAN's recipe); it trains faster, see docs/training.md.
/// dcgan28_sn_discriminator is the discriminator with every Conv2d and the Dense wrapped
/// in SpectralNorm (Miyato et al. 2018), parameter names "0.weight_orig", ....
/// dcgan28_projection_discriminator is the conditional discriminator that takes the class
/// by projection (projection_discriminator.hpp): the same layers on the image alone, body
/// "0.0" ... "0.4" (the Flatten), head "1" (the Dense), and "embed.weight" [classes, 6272].

#include "gan/layers/batch_norm2d.hpp"
#include "gan/layers/conv2d.hpp"
#include "gan/layers/conv_transpose2d.hpp"
#include "gan/layers/dense.hpp"
#include "gan/layers/flatten.hpp"
#include "gan/layers/leaky_relu.hpp"
#include "gan/layers/reshape.hpp"
#include "gan/layers/sequential.hpp"
#include "gan/layers/sigmoid.hpp"
#include "gan/layers/spectral_norm.hpp"
#include "gan/models/discriminator.hpp"
#include "gan/models/generator.hpp"
#include "gan/models/projection_discriminator.hpp"

namespace gan::nets {

inline constexpr index_t image_size = 28;

template <class T>
auto dcgan28_generator(index_t z_dim = 100, index_t classes = 0) {
  return Generator(
      Sequential{Dense<T>(z_dim + classes, 128 * 7 * 7), LeakyReLU<T>(T(0.2)),
                 Reshape<T>({128, 7, 7}), ConvTranspose2d<T>(128, 64, 4, 2, 1),
                 LeakyReLU<T>(T(0.2)), ConvTranspose2d<T>(64, 1, 4, 2, 1), Sigmoid<T>()},
      z_dim, classes);
}

template <class T>
auto dcgan28_bn_generator(index_t z_dim = 100, index_t classes = 0) {
  return Generator(
      Sequential{Dense<T>(z_dim + classes, 128 * 7 * 7), LeakyReLU<T>(T(0.2)),
                 Reshape<T>({128, 7, 7}), ConvTranspose2d<T>(128, 64, 4, 2, 1), BatchNorm2d<T>(64),
                 LeakyReLU<T>(T(0.2)), ConvTranspose2d<T>(64, 1, 4, 2, 1), Sigmoid<T>()},
      z_dim, classes);
}

/// D ending in Sigmoid (probabilities), for BCE on probabilities and LSGAN.
template <class T>
auto dcgan28_discriminator(index_t classes = 0) {
  return Discriminator(Sequential{Conv2d<T>(1 + classes, 64, 4, 2, 1), LeakyReLU<T>(T(0.2)),
                                  Conv2d<T>(64, 128, 4, 2, 1), LeakyReLU<T>(T(0.2)), Flatten<T>(),
                                  Dense<T>(128 * 7 * 7, 1), Sigmoid<T>()},
                       classes);
}

/// D without the final Sigmoid, for BCE with logits (numerically stabler).
template <class T>
auto dcgan28_logits_discriminator(index_t classes = 0) {
  return Discriminator(Sequential{Conv2d<T>(1 + classes, 64, 4, 2, 1), LeakyReLU<T>(T(0.2)),
                                  Conv2d<T>(64, 128, 4, 2, 1), LeakyReLU<T>(T(0.2)), Flatten<T>(),
                                  Dense<T>(128 * 7 * 7, 1)},
                       classes, Output::logits);
}

/// The spectrally normalised discriminator body, [N, 1 + classes, 28, 28] -> [N, 1] logits.
template <class T>
auto dcgan28_sn_body(index_t classes = 0) {
  return Sequential{spectral_norm(Conv2d<T>(1 + classes, 64, 4, 2, 1)),
                    LeakyReLU<T>(T(0.2)),
                    spectral_norm(Conv2d<T>(64, 128, 4, 2, 1)),
                    LeakyReLU<T>(T(0.2)),
                    Flatten<T>(),
                    spectral_norm(Dense<T>(128 * 7 * 7, 1))};
}

/// D with spectral norm, giving logits, or probabilities through a final Sigmoid.
template <class T>
auto dcgan28_sn_discriminator(index_t classes = 0) {
  return Discriminator(Sequential{dcgan28_sn_body<T>(classes), Sigmoid<T>()}, classes);
}
template <class T>
auto dcgan28_sn_logits_discriminator(index_t classes = 0) {
  return Discriminator(dcgan28_sn_body<T>(classes), classes, Output::logits);
}

/// The conditional D by projection, plain or with spectral norm on every Conv2d and the Dense.
template <class T>
auto dcgan28_projection_discriminator(index_t classes, Output output = Output::probability) {
  return ProjectionDiscriminator(
      Sequential{Sequential{Conv2d<T>(1, 64, 4, 2, 1), LeakyReLU<T>(T(0.2)),
                            Conv2d<T>(64, 128, 4, 2, 1), LeakyReLU<T>(T(0.2)), Flatten<T>()},
                 Dense<T>(128 * 7 * 7, 1)},
      classes, output);
}
template <class T>
auto dcgan28_sn_projection_discriminator(index_t classes, Output output = Output::probability) {
  return ProjectionDiscriminator(
      Sequential{Sequential{spectral_norm(Conv2d<T>(1, 64, 4, 2, 1)), LeakyReLU<T>(T(0.2)),
                            spectral_norm(Conv2d<T>(64, 128, 4, 2, 1)), LeakyReLU<T>(T(0.2)),
                            Flatten<T>()},
                 spectral_norm(Dense<T>(128 * 7 * 7, 1))},
      classes, output);
}

}  // namespace gan::nets

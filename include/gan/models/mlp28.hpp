#pragma once
/// MLP-28: the small fully connected GAN of the original paper's MNIST experiments
/// (Goodfellow et al. 2014), for quick runs.
///
/// Generator, z: [N, z_dim (+ classes)] -> [N, 1, 28, 28] in (0, 1):
///   0 Dense(z -> 128), 1 LeakyReLU(0.2), 2 Dense(128 -> 128), 3 LeakyReLU(0.2),
///   4 Dense(128 -> 784), 5 Sigmoid, 6 Reshape(1, 28, 28)
/// Discriminator, [N, 1 (+ classes), 28, 28] -> [N, 1]:
///   0 Flatten, 1 Dense(784 (* (1 + classes)) -> 128), 2 LeakyReLU(0.2),
///   3 Dense(128 -> 128), 4 LeakyReLU(0.2), 5 Dense(128 -> 1), 6 Sigmoid

#include "gan/layers/dense.hpp"
#include "gan/layers/flatten.hpp"
#include "gan/layers/leaky_relu.hpp"
#include "gan/layers/reshape.hpp"
#include "gan/layers/sequential.hpp"
#include "gan/layers/sigmoid.hpp"
#include "gan/models/discriminator.hpp"
#include "gan/models/generator.hpp"

namespace gan::nets {

template <class T>
auto mlp28_generator(index_t z_dim = 100, index_t classes = 0) {
  return Generator(Sequential{Dense<T>(z_dim + classes, 128), LeakyReLU<T>(T(0.2)),
                              Dense<T>(128, 128), LeakyReLU<T>(T(0.2)), Dense<T>(128, 28 * 28),
                              Sigmoid<T>(), Reshape<T>({1, 28, 28})},
                   z_dim, classes);
}

template <class T>
auto mlp28_discriminator(index_t classes = 0) {
  return Discriminator(
      Sequential{Flatten<T>(), Dense<T>((1 + classes) * 28 * 28, 128), LeakyReLU<T>(T(0.2)),
                 Dense<T>(128, 128), LeakyReLU<T>(T(0.2)), Dense<T>(128, 1), Sigmoid<T>()},
      classes);
}

}  // namespace gan::nets

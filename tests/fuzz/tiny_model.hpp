#pragma once
// The small conditional GAN whose real checkpoint seeds fuzz_checkpoint (a dcgan28
// checkpoint is 11 MB, too large for a seed that the fuzzer mutates thousands of times a
// second). It has what a checkpoint can hold: dense and batch-norm parameters, batch-norm
// buffers, Adam moments and the metadata. Generator: z [N, 3] + 2 classes ->
// [N, 1, 4, 4]; Discriminator: [N, 1 + 2, 4, 4] -> [N, 1].

#include "gan/layers/batch_norm2d.hpp"
#include "gan/layers/dense.hpp"
#include "gan/layers/flatten.hpp"
#include "gan/layers/leaky_relu.hpp"
#include "gan/layers/reshape.hpp"
#include "gan/layers/sequential.hpp"
#include "gan/layers/sigmoid.hpp"
#include "gan/models/discriminator.hpp"
#include "gan/models/generator.hpp"

namespace gan_fuzz {

inline constexpr gan::index_t tiny_z_dim = 3, tiny_classes = 2;

inline auto tiny_generator() {
  using gan::Dense, gan::Reshape, gan::BatchNorm2d, gan::LeakyReLU, gan::Flatten, gan::Sigmoid;
  return gan::Generator(
      gan::Sequential{Dense<float>(tiny_z_dim + tiny_classes, 8), Reshape<float>({2, 2, 2}),
                      BatchNorm2d<float>(2), LeakyReLU<float>(0.2f), Flatten<float>(),
                      Dense<float>(8, 16), Sigmoid<float>(), Reshape<float>({1, 4, 4})},
      tiny_z_dim, tiny_classes);
}

inline auto tiny_discriminator() {
  using gan::Dense, gan::Flatten, gan::LeakyReLU;
  return gan::Discriminator(
      gan::Sequential{Flatten<float>(), Dense<float>((1 + tiny_classes) * 16, 4),
                      LeakyReLU<float>(0.2f), Dense<float>(4, 1)},
      tiny_classes, gan::Output::logits);
}

}  // namespace gan_fuzz

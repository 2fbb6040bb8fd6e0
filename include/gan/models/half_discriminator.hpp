#pragma once
/// A discriminator that sees the image at half resolution: a second opinion on the coarse
/// shape of a sample, blind to pixel-level detail (and so to perturbations of single
/// pixels), in the spirit of multi-scale discriminators (pix2pixHD, Wang et al. 2018).
///
///   [N, channels (+ classes), S, S] -> [N, 1], S >= 8 (28, 32, 64 for the zoo's models):
///   0 AvgPool2d(2)                     S -> S/2 = h
///   1 Conv2d(c -> 64, k4 s2 p1)        h -> h/2 (floor)
///   2 LeakyReLU(0.2)
///   3 Conv2d(64 -> 128, k4 s2 p1)      -> m = floor(floor(h/2) / 2)
///   4 LeakyReLU(0.2), 5 Flatten, 6 Dense(128 m^2 -> 1), 7 Sigmoid (dropped for logits)
/// For S = 28: 14 -> 7 -> 3. The indices are the parameter names' prefixes, as in PyTorch.

#include "gan/layers/avg_pool2d.hpp"
#include "gan/layers/conv2d.hpp"
#include "gan/layers/dense.hpp"
#include "gan/layers/flatten.hpp"
#include "gan/layers/leaky_relu.hpp"
#include "gan/layers/sequential.hpp"
#include "gan/layers/sigmoid.hpp"
#include "gan/models/discriminator.hpp"

namespace gan::nets {

namespace detail {
inline index_t half_features(index_t image_size) {
  if (image_size < 8)
    throw Error("half discriminator: images must be at least 8 pixels, got " +
                std::to_string(image_size));
  const index_t m = image_size / 2 / 2 / 2;
  return 128 * m * m;
}
}  // namespace detail

/// D ending in Sigmoid (probabilities).
template <class T>
auto half_discriminator(index_t channels, index_t image_size, index_t classes = 0) {
  return Discriminator(
      Sequential{AvgPool2d<T>(2), Conv2d<T>(channels + classes, 64, 4, 2, 1), LeakyReLU<T>(T(0.2)),
                 Conv2d<T>(64, 128, 4, 2, 1), LeakyReLU<T>(T(0.2)), Flatten<T>(),
                 Dense<T>(detail::half_features(image_size), 1), Sigmoid<T>()},
      classes);
}

/// D without the final Sigmoid, for losses on logits.
template <class T>
auto half_logits_discriminator(index_t channels, index_t image_size, index_t classes = 0) {
  return Discriminator(
      Sequential{AvgPool2d<T>(2), Conv2d<T>(channels + classes, 64, 4, 2, 1), LeakyReLU<T>(T(0.2)),
                 Conv2d<T>(64, 128, 4, 2, 1), LeakyReLU<T>(T(0.2)), Flatten<T>(),
                 Dense<T>(detail::half_features(image_size), 1)},
      classes, Output::logits);
}

}  // namespace gan::nets

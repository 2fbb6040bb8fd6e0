#pragma once
/// DCGAN-32 and DCGAN-64 (Radford et al. 2016, "Unsupervised Representation Learning with
/// Deep Convolutional Generative Adversarial Networks", section 3 and figure 1), for grey
/// or colour images, with the widths of PyTorch's DCGAN example (ngf = ndf = width).
///
/// Generator, z: [N, z_dim (+ classes)] -> [N, channels, S, S] in (-1, 1), S = 32 or 64:
///   Reshape(z, 1, 1),
///   ConvTranspose2d(z -> m w, k4 s1 p0) 1 -> 4, BatchNorm2d, ReLU,        m = S / 8
///   then (S / 4 -> S / 8 ... ) ConvTranspose2d(c -> c / 2, k4 s2 p1) doubling the size,
///   each followed by BatchNorm2d and ReLU, down to width w at S / 2,
///   ConvTranspose2d(w -> channels, k4 s2 p1) S / 2 -> S, Tanh
/// Discriminator, [N, channels (+ classes), S, S] -> [N, 1]:
///   Conv2d(channels -> w, k4 s2 p1) S -> S / 2, LeakyReLU(0.2),
///   then Conv2d(c -> 2c, k4 s2 p1) halving the size, each followed by BatchNorm2d and
///   LeakyReLU(0.2), up to m w at 4 x 4,
///   Conv2d(m w -> 1, k4 s1 p0) 4 -> 1, Flatten, Sigmoid (dropped for Output::logits)
/// The first layer of D has no BatchNorm and G ends in Tanh, as the paper prescribes; no
/// convolution has a bias (BatchNorm's shift makes it redundant), as in PyTorch's example.
/// For S = 64 and w = 64 these are exactly the nets of PyTorch's examples/dcgan/main.py.
/// The spectrally normalised discriminators (dcgan32_sn_*, dcgan64_sn_*) wrap every Conv2d in
/// SpectralNorm and drop BatchNorm, which spectral norm replaces (Miyato et al. 2018, sec. 4).
/// Images are in [-1, 1]: train on data in data::Range::symmetric.

#include "gan/layers/batch_norm2d.hpp"
#include "gan/layers/conv2d.hpp"
#include "gan/layers/conv_transpose2d.hpp"
#include "gan/layers/flatten.hpp"
#include "gan/layers/leaky_relu.hpp"
#include "gan/layers/relu.hpp"
#include "gan/layers/reshape.hpp"
#include "gan/layers/sequential.hpp"
#include "gan/layers/sigmoid.hpp"
#include "gan/layers/spectral_norm.hpp"
#include "gan/layers/tanh.hpp"
#include "gan/models/discriminator.hpp"
#include "gan/models/generator.hpp"

namespace gan::nets {

namespace detail {
template <class T>
auto up(index_t in, index_t out) {
  return Sequential{ConvTranspose2d<T>(in, out, 4, 2, 1, false), BatchNorm2d<T>(out), ReLU<T>()};
}
template <class T>
auto down(index_t in, index_t out) {
  return Sequential{Conv2d<T>(in, out, 4, 2, 1, false), BatchNorm2d<T>(out), LeakyReLU<T>(T(0.2))};
}
template <class T>
auto sn_down(index_t in, index_t out) {
  return Sequential{spectral_norm(Conv2d<T>(in, out, 4, 2, 1)), LeakyReLU<T>(T(0.2))};
}
}  // namespace detail

/// DCGAN-32: [N, z_dim (+ classes)] -> [N, channels, 32, 32].
template <class T>
auto dcgan32_generator(index_t z_dim, index_t channels, index_t width, index_t classes = 0) {
  const index_t w = width, in = z_dim + classes;
  return Generator(Sequential{Reshape<T>({in, 1, 1}), ConvTranspose2d<T>(in, 4 * w, 4, 1, 0, false),
                              BatchNorm2d<T>(4 * w), ReLU<T>(), detail::up<T>(4 * w, 2 * w),
                              detail::up<T>(2 * w, w),
                              ConvTranspose2d<T>(w, channels, 4, 2, 1, false), Tanh<T>()},
                   z_dim, classes);
}

/// DCGAN-64: [N, z_dim (+ classes)] -> [N, channels, 64, 64].
template <class T>
auto dcgan64_generator(index_t z_dim, index_t channels, index_t width, index_t classes = 0) {
  const index_t w = width, in = z_dim + classes;
  return Generator(Sequential{Reshape<T>({in, 1, 1}), ConvTranspose2d<T>(in, 8 * w, 4, 1, 0, false),
                              BatchNorm2d<T>(8 * w), ReLU<T>(), detail::up<T>(8 * w, 4 * w),
                              detail::up<T>(4 * w, 2 * w), detail::up<T>(2 * w, w),
                              ConvTranspose2d<T>(w, channels, 4, 2, 1, false), Tanh<T>()},
                   z_dim, classes);
}

/// The convolutional body of DCGAN-32's discriminator, [N, channels + classes, 32, 32] -> [N, 1].
template <class T>
auto dcgan32_body(index_t channels, index_t width, index_t classes) {
  const index_t w = width;
  return Sequential{Conv2d<T>(channels + classes, w, 4, 2, 1, false),
                    LeakyReLU<T>(T(0.2)),
                    detail::down<T>(w, 2 * w),
                    detail::down<T>(2 * w, 4 * w),
                    Conv2d<T>(4 * w, 1, 4, 1, 0, false),
                    Flatten<T>()};
}

/// The convolutional body of DCGAN-64's discriminator, [N, channels + classes, 64, 64] -> [N, 1].
template <class T>
auto dcgan64_body(index_t channels, index_t width, index_t classes) {
  const index_t w = width;
  return Sequential{Conv2d<T>(channels + classes, w, 4, 2, 1, false),
                    LeakyReLU<T>(T(0.2)),
                    detail::down<T>(w, 2 * w),
                    detail::down<T>(2 * w, 4 * w),
                    detail::down<T>(4 * w, 8 * w),
                    Conv2d<T>(8 * w, 1, 4, 1, 0, false),
                    Flatten<T>()};
}

/// Spectrally normalised bodies, without BatchNorm.
template <class T>
auto dcgan32_sn_body(index_t channels, index_t width, index_t classes) {
  const index_t w = width;
  return Sequential{detail::sn_down<T>(channels + classes, w), detail::sn_down<T>(w, 2 * w),
                    detail::sn_down<T>(2 * w, 4 * w), spectral_norm(Conv2d<T>(4 * w, 1, 4, 1, 0)),
                    Flatten<T>()};
}
template <class T>
auto dcgan64_sn_body(index_t channels, index_t width, index_t classes) {
  const index_t w = width;
  return Sequential{detail::sn_down<T>(channels + classes, w),
                    detail::sn_down<T>(w, 2 * w),
                    detail::sn_down<T>(2 * w, 4 * w),
                    detail::sn_down<T>(4 * w, 8 * w),
                    spectral_norm(Conv2d<T>(8 * w, 1, 4, 1, 0)),
                    Flatten<T>()};
}

/// D ending in Sigmoid (probabilities).
template <class T>
auto dcgan32_discriminator(index_t channels, index_t width, index_t classes = 0) {
  return Discriminator(Sequential{dcgan32_body<T>(channels, width, classes), Sigmoid<T>()},
                       classes);
}
template <class T>
auto dcgan64_discriminator(index_t channels, index_t width, index_t classes = 0) {
  return Discriminator(Sequential{dcgan64_body<T>(channels, width, classes), Sigmoid<T>()},
                       classes);
}

/// D without the final Sigmoid, for losses on logits.
template <class T>
auto dcgan32_logits_discriminator(index_t channels, index_t width, index_t classes = 0) {
  return Discriminator(dcgan32_body<T>(channels, width, classes), classes, Output::logits);
}
template <class T>
auto dcgan64_logits_discriminator(index_t channels, index_t width, index_t classes = 0) {
  return Discriminator(dcgan64_body<T>(channels, width, classes), classes, Output::logits);
}

}  // namespace gan::nets

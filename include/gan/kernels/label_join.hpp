#pragma once
/// Joining a class label to a network's input, for conditional GANs
/// (Mirza & Osindero 2014): the generator sees [z, one_hot(label)], the
/// discriminator sees the image with one extra constant plane per class, set to 1
/// for the sample's class and 0 elsewhere.
///
///   append_one_hot:     x: [N, F], labels: [N] -> out: [N, F + classes]
///   append_label_planes: x: [N, C, H, W], labels: [N] -> out: [N, C + classes, H, W]
///   take_leading:       g: [N, F_total] -> out: [N, F] (the part that belongs to x)
/// Labels are in [0, classes); the caller validates them.

#include <algorithm>
#include <cstring>

#include "gan/core/parallel.hpp"
#include "gan/core/shape.hpp"

namespace gan::kernels {

template <class T>
void append_one_hot(index_t n, index_t features, const T* x, const int* labels, index_t classes,
                    T* out) noexcept {
  const index_t row = features + classes;
  for (index_t i = 0; i < n; ++i) {
    std::memcpy(out + i * row, x + i * features, static_cast<std::size_t>(features) * sizeof(T));
    std::fill(out + i * row + features, out + (i + 1) * row, T(0));
    out[i * row + features + labels[i]] = T(1);
  }
}

template <class T>
void append_label_planes(index_t n, index_t channels, index_t plane, const T* x, const int* labels,
                         index_t classes, T* out) noexcept {
  const index_t in_sample = channels * plane;
  const index_t out_sample = (channels + classes) * plane;
  parallel_for(0, n, [&](index_t i) {
    T* o = out + i * out_sample;
    std::memcpy(o, x + i * in_sample, static_cast<std::size_t>(in_sample) * sizeof(T));
    for (index_t c = 0; c < classes; ++c)
      std::fill(o + in_sample + c * plane, o + in_sample + (c + 1) * plane,
                c == labels[i] ? T(1) : T(0));
  });
}

/// Copies the first `keep` of every `total` features of each of n rows.
template <class T>
void take_leading(index_t n, index_t total, index_t keep, const T* g, T* out) noexcept {
  for (index_t i = 0; i < n; ++i)
    std::memcpy(out + i * keep, g + i * total, static_cast<std::size_t>(keep) * sizeof(T));
}

}  // namespace gan::kernels

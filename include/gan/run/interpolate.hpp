#pragma once
/// Latent interpolation: points on the great circle between two noise vectors (slerp,
/// Shoemake 1985; recommended for GAN latents by White 2016, "Sampling Generative
/// Networks", because Gaussian noise concentrates near a sphere and a straight line between
/// two samples passes through the unlikely region near the origin):
///   slerp(a, b, t) = sin((1 - t) w) / sin(w) a + sin(t w) / sin(w) b,
///   w = arccos(a.b / (|a| |b|)), t in [0, 1];
/// falling back to the straight line (1 - t) a + t b when a and b are (nearly) parallel.

#include <cmath>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/models/network.hpp"

namespace gan::run {

/// out[i] = slerp(a, b, t)[i] for vectors of length n.
template <class T>
void slerp(index_t n, const T* a, const T* b, double t, T* out) noexcept {
  double ab = 0, aa = 0, bb = 0;
  for (index_t i = 0; i < n; ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  const double cos_w = aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 1.0;
  const double w = std::acos(std::fmax(-1.0, std::fmin(1.0, cos_w)));
  double wa = 1 - t, wb = t;
  if (std::sin(w) > 1e-6) {
    wa = std::sin((1 - t) * w) / std::sin(w);
    wb = std::sin(t * w) / std::sin(w);
  }
  for (index_t i = 0; i < n; ++i) out[i] = static_cast<T>(wa * a[i] + wb * b[i]);
}

/// z: [rows * steps, z_dim]: row r walks in `steps` equal steps of t from one fresh noise
/// vector to another (both ends included).
template <class T>
void interpolation_noise(const AnyGenerator<T>& g, index_t rows, index_t steps, Rng& rng,
                         Tensor<T>& z) {
  if (rows < 1 || steps < 2)
    throw Error("interpolation_noise: needs rows >= 1 and steps >= 2, got " + std::to_string(rows) +
                " and " + std::to_string(steps));
  const index_t d = g.z_dim();
  Tensor<T> ends;
  g.sample_noise(ends, 2 * rows, rng);
  z.resize({rows * steps, d});
  for (index_t r = 0; r < rows; ++r)
    for (index_t j = 0; j < steps; ++j)
      slerp(d, ends.data() + 2 * r * d, ends.data() + (2 * r + 1) * d,
            static_cast<double>(j) / static_cast<double>(steps - 1),
            z.data() + (r * steps + j) * d);
}

}  // namespace gan::run

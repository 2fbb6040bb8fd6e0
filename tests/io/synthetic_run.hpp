#pragma once
// A made-up training run for the report's tests (tests/io/report.cpp and the browser test
// tests/browser/report_browser_check.cpp): loss curves that settle with noise, D outputs
// that approach 1/2, throughput with a warm-up, FID falling towards its floor, and sample
// grids that turn from noise into coloured rings. Deterministic for a seed.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"
#include "gan/io/png.hpp"
#include "gan/io/report.hpp"

namespace gan::testing {

inline ReportStep synthetic_step(std::int64_t step, std::int64_t steps_per_epoch, Rng& rng) {
  const double t = static_cast<double>(step);
  const double settle = 1 - std::exp(-t / 1500.0);
  ReportStep r;
  r.step = step;
  r.epoch = (step - 1) / steps_per_epoch + 1;
  r.d_loss = 1.38 - 0.55 * settle + 0.12 * rng.normal() + 0.05 * std::sin(t / 700);
  r.g_loss = 0.7 + 1.6 * settle + 0.25 * rng.normal() - 0.1 * std::sin(t / 700);
  r.d_real = std::clamp(0.5 + 0.27 * settle + 0.06 * rng.normal(), 0.0, 1.0);
  r.d_fake = std::clamp(0.5 - 0.3 * settle + 0.06 * rng.normal(), 0.0, 1.0);
  r.images_per_s = 2400 * (1 - std::exp(-t / 30.0)) + 60 * rng.normal();
  return r;
}

inline std::map<std::string, double> synthetic_eval(std::int64_t step) {
  const double t = static_cast<double>(step);
  const double fid = 3.1 + 320 * std::exp(-t / 2500.0);
  return {{"fid", fid},
          {"fid_floor", 3.1},
          {"kid", 0.002 + 0.3 * std::exp(-t / 2500.0)},
          {"precision", 0.8 - 0.7 * std::exp(-t / 2000.0)},
          {"recall", 0.6 - 0.58 * std::exp(-t / 4000.0)}};
}

/// A 6 x 6 grid of 32 x 32 RGB images at progress in [0, 1], written to `path`.
inline void write_synthetic_grid(const std::string& path, double progress, std::uint64_t seed) {
  const index_t n = 36, s = 32;
  Tensor<float> images({n, 3, s, s});
  Rng rng(seed);
  for (index_t k = 0; k < n; ++k) {
    const double hue = static_cast<double>(k) / n * 6.283;
    const double rgb[3] = {0.5 + 0.5 * std::cos(hue), 0.5 + 0.5 * std::cos(hue - 2.094),
                           0.5 + 0.5 * std::cos(hue + 2.094)};
    const double radius = 7 + static_cast<double>(k % 5);
    for (index_t y = 0; y < s; ++y)
      for (index_t x = 0; x < s; ++x) {
        const double d = std::hypot(x - 15.5, y - 15.5);
        const double ring = std::exp(-(d - radius) * (d - radius) / 6.0);
        for (index_t c = 0; c < 3; ++c) {
          const double v = progress * ring * rgb[c] + (1 - progress) * (0.5 + 0.25 * rng.normal());
          images(k, c, y, x) = static_cast<float>(v);
        }
      }
  }
  write_png_grid(path, images, 6, 2, 0.0f);
}

}  // namespace gan::testing

#pragma once
// The augmentations of DiffAugment written as its reference code computes them
// (DiffAugment_pytorch.py of Zhao et al. 2020, the version with rounded sizes), element by
// element in double and independent of gan's kernels: translation as a gather from a
// zero-padded image with clamped indices, cutout as a mask whose square's indices are
// clamped into the image. Parameters per sample, as gan::AugmentDraw holds them; the cutout's
// centre offset is the reference's o = top + size / 2.

#include <algorithm>
#include <cstddef>
#include <vector>

namespace naive {

struct Batch {
  long n, c, h, w;
  std::vector<double> x;  // [n, c, h, w]
  double& at(long i, long k, long r, long s) {
    return x[static_cast<std::size_t>(((i * c + k) * h + r) * w + s)];
  }
};

inline void brightness(Batch& b, const std::vector<double>& shift) {
  for (long i = 0; i < b.n; ++i)
    for (long k = 0; k < b.c; ++k)
      for (long r = 0; r < b.h; ++r)
        for (long s = 0; s < b.w; ++s) b.at(i, k, r, s) += shift[static_cast<std::size_t>(i)];
}

// x_mean = x.mean(dim=1, keepdim=True); x = (x - x_mean) * factor + x_mean
inline void saturation(Batch& b, const std::vector<double>& factor) {
  for (long i = 0; i < b.n; ++i)
    for (long r = 0; r < b.h; ++r)
      for (long s = 0; s < b.w; ++s) {
        double mean = 0;
        for (long k = 0; k < b.c; ++k) mean += b.at(i, k, r, s);
        mean /= static_cast<double>(b.c);
        for (long k = 0; k < b.c; ++k)
          b.at(i, k, r, s) = (b.at(i, k, r, s) - mean) * factor[static_cast<std::size_t>(i)] + mean;
      }
}

// x_mean = x.mean(dim=[1, 2, 3], keepdim=True); x = (x - x_mean) * factor + x_mean
inline void contrast(Batch& b, const std::vector<double>& factor) {
  for (long i = 0; i < b.n; ++i) {
    double mean = 0;
    for (long k = 0; k < b.c; ++k)
      for (long r = 0; r < b.h; ++r)
        for (long s = 0; s < b.w; ++s) mean += b.at(i, k, r, s);
    mean /= static_cast<double>(b.c * b.h * b.w);
    for (long k = 0; k < b.c; ++k)
      for (long r = 0; r < b.h; ++r)
        for (long s = 0; s < b.w; ++s)
          b.at(i, k, r, s) = (b.at(i, k, r, s) - mean) * factor[static_cast<std::size_t>(i)] + mean;
  }
}

// grid = clamp(index + translation + 1, 0, size + 1) into F.pad(x, [1, 1, 1, 1]).
inline void translation(Batch& b, const std::vector<long>& dh, const std::vector<long>& dw) {
  Batch out = b;
  for (long i = 0; i < b.n; ++i)
    for (long k = 0; k < b.c; ++k)
      for (long r = 0; r < b.h; ++r)
        for (long s = 0; s < b.w; ++s) {
          const long pr = std::clamp(r + dh[static_cast<std::size_t>(i)] + 1, 0L, b.h + 1);
          const long ps = std::clamp(s + dw[static_cast<std::size_t>(i)] + 1, 0L, b.w + 1);
          const bool pad = pr == 0 || pr == b.h + 1 || ps == 0 || ps == b.w + 1;
          out.at(i, k, r, s) = pad ? 0.0 : b.at(i, k, pr - 1, ps - 1);
        }
  b = out;
}

// mask[clamp(g + offset - size // 2, 0, size_of_image - 1)] = 0 for g in range(size).
inline void cutout(Batch& b, const std::vector<long>& top, const std::vector<long>& left,
                   long size_h, long size_w) {
  for (long i = 0; i < b.n; ++i) {
    const long oh = top[static_cast<std::size_t>(i)] + size_h / 2;
    const long ow = left[static_cast<std::size_t>(i)] + size_w / 2;
    std::vector<double> mask(static_cast<std::size_t>(b.h * b.w), 1.0);
    for (long g = 0; g < size_h; ++g)
      for (long q = 0; q < size_w; ++q) {
        const long r = std::clamp(g + oh - size_h / 2, 0L, b.h - 1);
        const long s = std::clamp(q + ow - size_w / 2, 0L, b.w - 1);
        mask[static_cast<std::size_t>(r * b.w + s)] = 0.0;
      }
    for (long k = 0; k < b.c; ++k)
      for (long r = 0; r < b.h; ++r)
        for (long s = 0; s < b.w; ++s)
          b.at(i, k, r, s) *= mask[static_cast<std::size_t>(r * b.w + s)];
  }
}

}  // namespace naive

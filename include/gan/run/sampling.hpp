#pragma once
/// Drawing images from a generator in chunks, and writing them as PNG grids or files.
///
///   generate(g, z, labels, chunk, images)  images [N, C, H, W] from noise z [N, z_dim]
///   to_unit(images, range)                 [-1, 1] -> [0, 1] in place (PNG's range)
///   SampleGrid grid(g, seed, classes)      the fixed noise of a run's sample grids:
///                                          10 x 10, or one row of 10 per class
/// generate runs the generator on at most `chunk` samples at a time, so drawing many
/// images never grows the generator's buffers beyond a training batch (and memory stays
/// bounded whatever N is).

#include <algorithm>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/data/image_set.hpp"
#include "gan/io/png.hpp"
#include "gan/models/network.hpp"

namespace gan::run {

/// images = G(z, labels), computed `chunk` samples at a time in G's current mode.
template <class T>
void generate(AnyGenerator<T>& g, const Tensor<T>& z, const std::vector<int>& labels, index_t chunk,
              Tensor<T>& images) {
  const index_t n = z.dim(0), z_dim = z.dim(1);
  if (chunk < 1) throw Error("generate: chunk must be >= 1");
  Tensor<T> z_chunk;
  std::vector<int> label_chunk;
  for (index_t i0 = 0; i0 < n; i0 += chunk) {
    const index_t nb = std::min(chunk, n - i0);
    z_chunk.resize({nb, z_dim});
    std::copy_n(z.data() + i0 * z_dim, nb * z_dim, z_chunk.data());
    label_chunk.clear();
    if (!labels.empty()) label_chunk.assign(labels.begin() + i0, labels.begin() + i0 + nb);
    const Tensor<T>& out = g.forward(z_chunk, label_chunk);
    const index_t per = out.size() / nb;
    if (i0 == 0) images.resize({n, out.dim(1), out.dim(2), out.dim(3)});
    std::copy_n(out.data(), out.size(), images.data() + i0 * per);
  }
}

/// Maps images from `range` to [0, 1], the range PNG files are written from.
template <class T>
void to_unit(Tensor<T>& images, data::Range range) noexcept {
  if (range == data::Range::unit) return;
  for (T& v : images) v = (v + T(1)) * T(0.5);
}

/// The fixed noise (and labels) of a run's sample grids.
class SampleGrid {
 public:
  /// 100 samples in 10 columns; for a conditional model with at most 20 classes, one row of
  /// 10 per class instead (class c in row c), else labels cycle through the classes.
  SampleGrid(const AnyGenerator<float>& g, std::uint64_t seed) {
    const index_t classes = g.classes();
    const index_t n = classes > 0 && classes <= 20 ? 10 * classes : 100;
    Rng rng(seed + 12345);
    g.sample_noise(z_, n, rng);
    for (index_t i = 0; i < n && classes > 0; ++i)
      labels_.push_back(static_cast<int>(classes <= 20 ? i / 10 : i % classes));
  }

  /// Draws the grid with g in eval mode (then back to training mode) and writes it.
  void write(AnyGenerator<float>& g, const std::string& path, data::Range range, index_t chunk) {
    g.eval();
    generate(g, z_, labels_, chunk, images_);
    g.train();
    to_unit(images_, range);
    write_png_grid(path, images_, 10);
  }

  const Tensor<float>& noise() const noexcept { return z_; }
  const std::vector<int>& labels() const noexcept { return labels_; }

 private:
  Tensor<float> z_, images_;
  std::vector<int> labels_;
};

}  // namespace gan::run

#pragma once
/// ImageSet: a data set of images held in memory as bytes at the model's size, and the
/// conversion of one batch at a time to floats.
///
///   pixels: [N, C, H, W] uint8, row-major (planar: all of channel 0, then channel 1, ...)
///   labels: [N] in [0, classes) or empty; class_names: one name per class, or empty
/// Every loader (the IDX reader's load_idx_dataset, the image folder's load_image_folder)
/// returns one, so a training loop does not care where its images came from. Bytes are a
/// quarter of the memory of floats: Fashion-MNIST's 60,000 images are 47 MB.
///
/// copy_batch turns bytes into the range a model's output has: Range::unit maps byte b to
/// b / 255 in [0, 1] (a generator ending in Sigmoid), Range::symmetric to b / 127.5 - 1 in
/// [-1, 1] (one ending in Tanh, as DCGAN's). Data knows nothing of training: the order in
/// which images are visited is epoch_order.hpp's.

#include <cstdint>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/tensor.hpp"

namespace gan::data {

/// The value range of a model's images.
enum class Range { unit, symmetric };

inline std::string to_string(Range r) { return r == Range::unit ? "[0, 1]" : "[-1, 1]"; }

struct ImageSet {
  index_t count = 0, channels = 0, height = 0, width = 0;
  std::vector<std::uint8_t> pixels;      ///< [N, C, H, W]
  std::vector<int> labels;               ///< [N], or empty when unlabelled
  std::vector<std::string> class_names;  ///< [classes], or empty when unlabelled
  std::string source;                    ///< the file or folder it came from, for messages
  index_t skipped = 0;                   ///< files the loader could not decode (it warned)

  index_t per_image() const noexcept { return channels * height * width; }
  bool labelled() const noexcept { return !labels.empty(); }
  index_t classes() const noexcept { return static_cast<index_t>(class_names.size()); }
  /// "60000 images of 1x28x28 from 'x' (10 classes)"
  std::string describe() const {
    std::string s = std::to_string(count) + " images of " + std::to_string(channels) + "x" +
                    std::to_string(height) + "x" + std::to_string(width) + " from '" + source + "'";
    if (labelled()) s += " (" + std::to_string(classes()) + " classes)";
    if (skipped > 0) s += ", " + std::to_string(skipped) + " files skipped";
    return s;
  }
};

/// The float value of byte b in range r.
template <class T>
constexpr T byte_to_value(std::uint8_t b, Range r) noexcept {
  return r == Range::unit ? static_cast<T>(b) * (T(1) / T(255))
                          : static_cast<T>(b) * (T(2) / T(255)) - T(1);
}

/// out[i] = image indices[i] of `set` in range r, for i < out.dim(0); out must be
/// [n, C, H, W] with the set's C, H, W (the caller sizes it once: no allocation here).
template <class T>
void copy_batch(const ImageSet& set, const index_t* indices, Range r, Tensor<T>& out) {
  if (out.rank() != 4 || out.dim(1) != set.channels || out.dim(2) != set.height ||
      out.dim(3) != set.width)
    throw Error("copy_batch: batch " + out.shape().str() + " does not hold images of " +
                std::to_string(set.channels) + "x" + std::to_string(set.height) + "x" +
                std::to_string(set.width));
  T table[256];
  for (int v = 0; v < 256; ++v) table[v] = byte_to_value<T>(static_cast<std::uint8_t>(v), r);
  const index_t per = set.per_image();
  for (index_t i = 0; i < out.dim(0); ++i) {
    const index_t k = indices[i];
    GAN_ASSERT(k >= 0 && k < set.count);
    const std::uint8_t* src = set.pixels.data() + k * per;
    T* dst = out.data() + i * per;
    for (index_t p = 0; p < per; ++p) dst[p] = table[src[p]];
  }
}

}  // namespace gan::data

#pragma once
/// DiffAugment<T>: differentiable augmentation of the discriminator's input (Zhao et al. 2020,
/// "Differentiable Augmentation for Data-Efficient GAN Training"), the same random transform
/// applied to real and generated batches so that G still receives gradients through it.
///
///   x: [N, C, H, W] -> y: [N, C, H, W]. forward(x, rng) draws fresh parameters for every
///   sample from rng and applies them; backward(dy) returns dL/dx for the LAST draw (layer-owned,
///   overwritten). The maps are linear (brightness affine), so backward needs no copy of x.
///   AugmentPolicy::parse("color,translation,cutout") is the reference code's best policy.
///
/// The augmentations, in this order whatever the order of the policy string (the reference's
/// order for "color,translation,cutout"); r ~ U[0, 1) per sample, all from
/// DiffAugment_pytorch.py (the version with rounded sizes, DiffAugment-stylegan2-pytorch):
///   brightness   x + (r - 0.5)                                   shift in [-0.5, 0.5)
///   saturation   (x - mean_c x) * 2r + mean_c x, mean over channels at each pixel: the
///                identity when C = 1 (the draw is still made, so the stream does not depend on C)
///   contrast     (x - mean x) * (r + 0.5) + mean x, mean over the sample's C, H, W
///   translation  by dh in [-sh, sh], dw in [-sw, sw] pixels, sh = round(H / 8) = (H + 4) / 8,
///                y[i, j] = x[i + dh, j + dw], zero where that leaves the image
///   cutout       a square of round(H / 2) x round(W / 2) = (H + 1) / 2 x (W + 1) / 2 zeroed
///                in every channel, its centre offset o in [0, H + 1 - size % 2), top row
///                o - size / 2, clipped to the image
/// "color" names brightness, saturation and contrast together.
///
/// Value range: brightness shifts by up to 0.5 and translation and cutout fill with 0, as the
/// reference does for images in [-1, 1] (a Tanh generator), where 0 is mid-grey and 0.5 a
/// quarter of the range. With [0, 1] images (a Sigmoid generator) the same numbers fill with
/// black and shift brightness by up to half the range, twice as strong relative to the data;
/// saturation and contrast scale about a mean and do not depend on the range.
///
/// Random stream: per augmentation in the order above, one number per sample in sample order
/// (translation: all dh, then all dw; cutout: all rows, then all columns); uniforms by
/// Rng::uniform(), integers by Rng::below(). The same seed gives the same bits. Buffers grow
/// only with the batch: after the first call of a shape nothing is allocated.
/// Use: D(aug(x_real)), D(aug(G(z))); call backward before the next forward if G's gradient
/// is needed, or keep one DiffAugment per stream.

#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"
#include "gan/kernels/augment.hpp"
#include "gan/layers/layer.hpp"

namespace gan {

/// Which augmentations DiffAugment applies.
struct AugmentPolicy {
  bool brightness = false, saturation = false, contrast = false, translation = false,
       cutout = false;

  /// Comma-separated names, spaces ignored, repeats allowed: brightness, saturation, contrast,
  /// color (all three), translation, cutout; "" is no augmentation. An unknown or empty name
  /// ("color,,cutout") throws gan::Error listing the known ones.
  static AugmentPolicy parse(const std::string& text) {
    AugmentPolicy p;
    if (text.find_first_not_of(' ') == std::string::npos) return p;
    std::string name;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i < text.size() && text[i] != ',') {
        if (text[i] != ' ') name += text[i];
        continue;
      }
      if (name == "color") {
        p.brightness = p.saturation = p.contrast = true;
      } else if (name == "brightness") {
        p.brightness = true;
      } else if (name == "saturation") {
        p.saturation = true;
      } else if (name == "contrast") {
        p.contrast = true;
      } else if (name == "translation") {
        p.translation = true;
      } else if (name == "cutout") {
        p.cutout = true;
      } else {
        throw Error("DiffAugment: unknown augmentation '" + name + "' in policy '" + text +
                    "'; known: color, brightness, saturation, contrast, translation, cutout");
      }
      name.clear();
    }
    return p;
  }

  bool empty() const noexcept {
    return !(brightness || saturation || contrast || translation || cutout);
  }

  /// Canonical text, "color" when all three colour maps are on: "color,translation,cutout".
  std::string str() const {
    std::string s;
    auto add = [&s](bool on, const char* name) {
      if (on) s += (s.empty() ? "" : ",") + std::string(name);
    };
    const bool color = brightness && saturation && contrast;
    add(color, "color");
    add(brightness && !color, "brightness");
    add(saturation && !color, "saturation");
    add(contrast && !color, "contrast");
    add(translation, "translation");
    add(cutout, "cutout");
    return s;
  }
};

/// The per-sample parameters of one draw; vectors of disabled augmentations are empty.
template <class T>
struct AugmentDraw {
  std::vector<T> brightness;               ///< added shift r - 0.5
  std::vector<T> saturation;               ///< factor 2r
  std::vector<T> contrast;                 ///< factor r + 0.5
  std::vector<index_t> shift_h, shift_w;   ///< translation dh, dw
  std::vector<index_t> cut_top, cut_left;  ///< cutout corner, may lie before the image
  index_t cut_h = 0, cut_w = 0;            ///< cutout size
  Shape shape;                             ///< the batch shape drawn for
};

template <class T>
class DiffAugment {
 public:
  using value_type = T;

  explicit DiffAugment(const AugmentPolicy& policy) : policy_(policy) {}
  /// DiffAugment<float>("color,translation,cutout").
  explicit DiffAugment(const std::string& policy) : policy_(AugmentPolicy::parse(policy)) {}

  /// [N, C, H, W] unchanged; throws gan::Error for another rank or an empty batch.
  Shape output_shape(const Shape& in) const {
    if (in.rank() != 4 || in.numel() == 0) throw input_error(name(), "[N, C, H, W], not empty", in);
    return in;
  }

  /// Draws parameters for every sample of a batch of this shape, then applies them.
  const Tensor<T>& forward(const Tensor<T>& x, Rng& rng) {
    draw(x.shape(), rng);
    return apply(x);
  }

  /// Draws fresh per-sample parameters for a batch of `shape` (the random stream above).
  void draw(const Shape& shape, Rng& rng) {
    output_shape(shape);
    const index_t n = shape[0], h = shape[2], w = shape[3];
    auto uniform = [&](std::vector<T>& out, bool on, double offset, double scale) {
      out.resize(on ? static_cast<std::size_t>(n) : 0);
      for (T& v : out) v = static_cast<T>((rng.uniform() + offset) * scale);
    };
    uniform(d_.brightness, policy_.brightness, -0.5, 1.0);
    uniform(d_.saturation, policy_.saturation, 0.0, 2.0);
    uniform(d_.contrast, policy_.contrast, 0.5, 1.0);
    // Integers in [lo, lo + count), as torch.randint(lo, lo + count).
    auto integers = [&](std::vector<index_t>& out, bool on, index_t lo, index_t count) {
      out.resize(on ? static_cast<std::size_t>(n) : 0);
      for (index_t& v : out)
        v = lo + static_cast<index_t>(rng.below(static_cast<std::uint64_t>(count)));
    };
    const index_t sh = (h + 4) / 8, sw = (w + 4) / 8;
    integers(d_.shift_h, policy_.translation, -sh, 2 * sh + 1);
    integers(d_.shift_w, policy_.translation, -sw, 2 * sw + 1);
    d_.cut_h = policy_.cutout ? (h + 1) / 2 : 0;
    d_.cut_w = policy_.cutout ? (w + 1) / 2 : 0;
    // The reference draws the centre o in [0, H + 1 - size % 2); the top row is o - size / 2.
    integers(d_.cut_top, policy_.cutout, -(d_.cut_h / 2), h + 1 - d_.cut_h % 2);
    integers(d_.cut_left, policy_.cutout, -(d_.cut_w / 2), w + 1 - d_.cut_w % 2);
    d_.shape = shape;
    applied_ = false;
  }

  /// Applies the last draw to x, whose shape must be the drawn one.
  const Tensor<T>& apply(const Tensor<T>& x) {
    if (x.shape() != d_.shape || d_.shape.rank() != 4)
      throw Error(name() + ": apply expects x " + d_.shape.str() + " as drawn, got " +
                  x.shape().str());
    const index_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
    y_.resize(x.shape());
    tmp_.resize(x.shape());
    y_.copy_from(x);
    if (policy_.brightness)
      kernels::brightness_forward(n, c * h * w, d_.brightness.data(), y_.data());
    if (policy_.saturation)
      kernels::saturation_forward(n, c, h * w, d_.saturation.data(), y_.data());
    if (policy_.contrast) kernels::contrast_forward(n, c * h * w, d_.contrast.data(), y_.data());
    if (policy_.translation) {
      kernels::translation_forward(n, c, h, w, d_.shift_h.data(), d_.shift_w.data(), y_.data(),
                                   tmp_.data());
      y_.swap(tmp_);
    }
    if (policy_.cutout)
      kernels::cutout(n, c, h, w, d_.cut_top.data(), d_.cut_left.data(), d_.cut_h, d_.cut_w,
                      y_.data());
    applied_ = true;
    return y_;
  }

  /// dL/dx for dy = dL/dy through the last draw: the transposed maps in reverse order.
  const Tensor<T>& backward(const Tensor<T>& dy) {
    if (!applied_ || dy.shape() != d_.shape) throw backward_error(name(), d_.shape, dy.shape());
    const index_t n = dy.dim(0), c = dy.dim(1), h = dy.dim(2), w = dy.dim(3);
    dx_.resize(dy.shape());
    tmp_.resize(dy.shape());
    dx_.copy_from(dy);
    if (policy_.cutout)
      kernels::cutout(n, c, h, w, d_.cut_top.data(), d_.cut_left.data(), d_.cut_h, d_.cut_w,
                      dx_.data());
    if (policy_.translation) {
      kernels::translation_backward(n, c, h, w, d_.shift_h.data(), d_.shift_w.data(), dx_.data(),
                                    tmp_.data());
      dx_.swap(tmp_);
    }
    if (policy_.contrast) kernels::contrast_backward(n, c * h * w, d_.contrast.data(), dx_.data());
    if (policy_.saturation)
      kernels::saturation_backward(n, c, h * w, d_.saturation.data(), dx_.data());
    return dx_;  // brightness adds a constant: its backward is the identity
  }

  const AugmentPolicy& policy() const noexcept { return policy_; }
  /// The parameters of the last draw.
  const AugmentDraw<T>& last_draw() const noexcept { return d_; }

  /// "DiffAugment(color,translation,cutout)".
  std::string name() const { return "DiffAugment(" + policy_.str() + ")"; }

 private:
  AugmentPolicy policy_;
  AugmentDraw<T> d_;
  Tensor<T> y_, dx_, tmp_;
  bool applied_ = false;
};

}  // namespace gan

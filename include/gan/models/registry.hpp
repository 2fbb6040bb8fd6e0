#pragma once
/// The model registry: each ready-made net named once — name -> (generator, discriminator,
/// initialisation, the image shapes it makes, the range of its images) — and the identity
/// a checkpoint carries, so that a program or a user's own loop builds the net a checkpoint
/// was trained with from the checkpoint alone.
///
///   const gan::models::Registry& models = gan::models::builtin_models();   // builtin.hpp
///   gan::models::ModelSpec spec;            // dcgan28-bn, 1x28x28, unconditional, z = 100
///   spec.model = "dcgan32"; spec.channels = 3; spec.image_size = 32;
///   gan::models::Model m = models.make(spec);   // m.generator, m.discriminator, m.range
///   auto meta = gan::models::identity(spec);     // "gan.model", "gan.image_shape", ...
///   spec = gan::models::spec_from_identity(file.metadata(), file.path());
///
/// Identity keys, as strings in a checkpoint's metadata: gan.model, gan.image_shape
/// ("CxHxW"), gan.classes, gan.z_dim, gan.width, gan.d_output ("probability" | "logits"),
/// gan.spectral_norm ("0" | "1"), gan.conditioning ("planes" | "projection"). Checkpoints
/// written before gan.image_shape, gan.width, gan.d_output, gan.spectral_norm and
/// gan.conditioning existed are 28x28 grey models with probability outputs, no spectral
/// norm and label planes, which is what their absence reads as.
/// Every value is parsed with its range checked: a bad one is a gan::Error naming the key.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/data/image_set.hpp"
#include "gan/layers/init.hpp"
#include "gan/models/network.hpp"

namespace gan::models {

/// What to build: the model's name and the shape of its images.
struct ModelSpec {
  std::string model = "dcgan28-bn";
  index_t image_size = 28;  ///< height = width
  index_t channels = 1;     ///< 1 (grey) or 3 (RGB)
  index_t classes = 0;      ///< 0: unconditional
  index_t z_dim = 100;
  index_t width = 0;  ///< feature maps of the first/last layer (PyTorch's ngf/ndf); 0: default
  Output d_output = Output::probability;  ///< D ends in Sigmoid, or gives logits
  bool spectral_norm = false;             ///< D's weights spectrally normalised
  /// A conditional D takes the class by projection (projection_discriminator.hpp), not as
  /// input planes; models whose entry says so.
  bool projection = false;
  std::uint64_t seed = 0;  ///< of the initial weights

  /// "dcgan32 3x32x32, width 64, 10 classes"
  std::string describe() const {
    std::string s = model + " " + std::to_string(channels) + "x" + std::to_string(image_size) +
                    "x" + std::to_string(image_size);
    if (width > 0) s += ", width " + std::to_string(width);
    if (classes > 0) s += ", " + std::to_string(classes) + " classes";
    if (spectral_norm) s += ", spectral norm in D";
    if (projection) s += ", projection D";
    return s;
  }
};

/// A built model: both nets, initialised, and the range of the images G makes.
struct Model {
  std::unique_ptr<AnyGenerator<float>> generator;
  std::unique_ptr<AnyDiscriminator<float>> discriminator;
  data::Range range = data::Range::unit;
  ModelSpec spec;  ///< with the defaults filled in (width)
};

/// One registered model.
struct ModelEntry {
  std::string name;
  std::string description;
  std::vector<index_t> sizes;     ///< image sizes it makes
  std::vector<index_t> channels;  ///< channel counts it makes
  index_t default_width = 0;      ///< 0: the width is fixed (the option is refused)
  data::Range range = data::Range::unit;
  /// Builds the generator of a validated spec, initialised from default_rng() (the
  /// registry seeds it from spec.seed first).
  std::function<std::unique_ptr<AnyGenerator<float>>(const ModelSpec&)> generator;
  /// Builds a discriminator, likewise.
  std::function<std::unique_ptr<AnyDiscriminator<float>>(const ModelSpec&)> discriminator;
  bool projection = false;  ///< has a projection discriminator for conditional specs
};

namespace detail {
inline std::string join(const std::vector<index_t>& v, const char* sep = ", ") {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}
inline bool has(const std::vector<index_t>& v, index_t x) {
  for (index_t y : v)
    if (y == x) return true;
  return false;
}
}  // namespace detail

class Registry {
 public:
  void add(ModelEntry entry) {
    for (const auto& e : entries_)
      if (e.name == entry.name) throw Error("Registry: model '" + entry.name + "' added twice");
    entries_.push_back(std::move(entry));
  }

  bool contains(const std::string& name) const noexcept {
    for (const auto& e : entries_)
      if (e.name == name) return true;
    return false;
  }

  const ModelEntry& find(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return e;
    throw Error("unknown model '" + name + "': expected " + names());
  }

  /// "dcgan28-bn, dcgan28, mlp, dcgan32, dcgan64"
  std::string names() const {
    std::string s;
    for (std::size_t i = 0; i < entries_.size(); ++i) s += (i ? ", " : "") + entries_[i].name;
    return s;
  }
  const std::vector<ModelEntry>& entries() const noexcept { return entries_; }

  /// The spec with its defaults filled in; throws gan::Error for a shape the model cannot make.
  ModelSpec complete(ModelSpec spec) const {
    const ModelEntry& e = find(spec.model);
    if (!detail::has(e.sizes, spec.image_size))
      throw Error("model " + e.name + " makes " + detail::join(e.sizes, " or ") +
                  " pixel images, not " + std::to_string(spec.image_size) +
                  " (choose --image-size " + detail::join(e.sizes, " or ") + ", or another model)");
    if (!detail::has(e.channels, spec.channels))
      throw Error("model " + e.name + " makes images of " + detail::join(e.channels, " or ") +
                  " channels, not " + std::to_string(spec.channels));
    if (spec.classes < 0 || spec.classes > 1000)
      throw Error("model " + e.name + ": classes must be in [0, 1000], got " +
                  std::to_string(spec.classes));
    if (spec.z_dim < 1 || spec.z_dim > 4096)
      throw Error("model " + e.name + ": z_dim must be in [1, 4096], got " +
                  std::to_string(spec.z_dim));
    if (spec.projection && spec.classes == 0)
      throw Error("a projection discriminator is for conditional models (--conditional)");
    if (spec.projection && !e.projection)
      throw Error("model " + e.name + " has no projection discriminator: use " + projected() +
                  ", or --conditioning planes");
    if (e.default_width == 0) {
      if (spec.width != 0)
        throw Error("model " + e.name + " has a fixed width; --width is for " + widened());
    } else {
      if (spec.width == 0) spec.width = e.default_width;
      if (spec.width < 1 || spec.width > 1024)
        throw Error("model " + e.name + ": width must be in [1, 1024], got " +
                    std::to_string(spec.width));
    }
    return spec;
  }

  /// Builds and initialises both nets.
  Model make(const ModelSpec& requested) const {
    const ModelSpec spec = complete(requested);
    const ModelEntry& e = find(spec.model);
    manual_seed(spec.seed);
    Model m;
    m.generator = e.generator(spec);
    m.discriminator = e.discriminator(spec);
    m.range = e.range;
    m.spec = spec;
    return m;
  }

  /// Another discriminator of the spec's model, initialised from `seed`.
  std::unique_ptr<AnyDiscriminator<float>> make_discriminator(const ModelSpec& requested,
                                                              std::uint64_t seed) const {
    const ModelSpec spec = complete(requested);
    manual_seed(seed);
    return find(spec.model).discriminator(spec);
  }

 private:
  /// The names of the entries that `has` holds for, joined by sep; "no model" if none.
  template <class Pred>
  std::string names_where(Pred has, const char* sep) const {
    std::string s;
    for (const auto& e : entries_)
      if (has(e)) s += (s.empty() ? "" : sep) + e.name;
    return s.empty() ? "no model" : s;
  }
  std::string widened() const {
    return names_where([](const ModelEntry& e) { return e.default_width != 0; }, ", ");
  }
  std::string projected() const {
    return names_where([](const ModelEntry& e) { return e.projection; }, " or ");
  }

  std::vector<ModelEntry> entries_;
};

inline std::string to_string(Output o) { return o == Output::logits ? "logits" : "probability"; }

/// The checkpoint metadata that names a model (see the top of this file).
inline std::map<std::string, std::string> identity(const ModelSpec& s) {
  return {{"gan.model", s.model},
          {"gan.image_shape", std::to_string(s.channels) + "x" + std::to_string(s.image_size) +
                                  "x" + std::to_string(s.image_size)},
          {"gan.classes", std::to_string(s.classes)},
          {"gan.z_dim", std::to_string(s.z_dim)},
          {"gan.width", std::to_string(s.width)},
          {"gan.d_output", to_string(s.d_output)},
          {"gan.spectral_norm", s.spectral_norm ? "1" : "0"},
          {"gan.conditioning", s.projection ? "projection" : "planes"}};
}

/// A whole decimal number in [lo, hi], or gan::Error naming `what`.
inline std::int64_t parse_integer(const std::string& text, std::int64_t lo, std::int64_t hi,
                                  const std::string& what) {
  std::int64_t v = 0;
  bool ok = !text.empty() && text.size() <= 19;
  for (std::size_t i = 0; ok && i < text.size(); ++i) {
    const int digit = text[i] - '0';
    ok = digit >= 0 && digit <= 9 && v <= (std::numeric_limits<std::int64_t>::max() - digit) / 10;
    if (ok) v = v * 10 + digit;
  }
  if (!ok || v < lo || v > hi)
    throw Error(what + " is '" + text.substr(0, 32) + (text.size() > 32 ? "..." : "") +
                "', expected a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                "]");
  return v;
}

/// The spec a checkpoint's identity describes (seed 0: the weights come from the file).
inline ModelSpec spec_from_identity(const std::map<std::string, std::string>& m,
                                    const std::string& path) {
  const std::string where = "checkpoint '" + path + "'";
  auto get = [&](const std::string& key) -> const std::string& {
    const auto it = m.find(key);
    if (it == m.end()) throw Error(where + " does not name its model (no " + key + ")");
    return it->second;
  };
  auto number = [&](const std::string& key, std::int64_t lo, std::int64_t hi) {
    return static_cast<index_t>(parse_integer(get(key), lo, hi, where + ": " + key));
  };
  ModelSpec s;
  s.model = get("gan.model");
  s.classes = number("gan.classes", 0, 1000);
  s.z_dim = number("gan.z_dim", 1, 4096);
  s.width = m.count("gan.width") ? number("gan.width", 0, 1024) : 0;
  if (m.count("gan.image_shape")) {
    const std::string& shape = get("gan.image_shape");
    const auto x1 = shape.find('x'), x2 = shape.rfind('x');
    if (x1 == std::string::npos || x1 == x2 ||
        shape.substr(x1 + 1, x2 - x1 - 1) != shape.substr(x2 + 1))
      throw Error(where + ": gan.image_shape is '" + shape.substr(0, 32) + "', expected CxSxS");
    s.channels =
        static_cast<index_t>(parse_integer(shape.substr(0, x1), 1, 4, where + ": channels"));
    s.image_size =
        static_cast<index_t>(parse_integer(shape.substr(x2 + 1), 1, 4096, where + ": image size"));
  }
  if (m.count("gan.d_output")) {
    const std::string& o = get("gan.d_output");
    if (o != "logits" && o != "probability")
      throw Error(where + ": gan.d_output is '" + o.substr(0, 32) +
                  "', expected logits or probability");
    s.d_output = o == "logits" ? Output::logits : Output::probability;
  }
  if (m.count("gan.spectral_norm")) s.spectral_norm = number("gan.spectral_norm", 0, 1) == 1;
  if (m.count("gan.conditioning")) {
    const std::string& c = get("gan.conditioning");
    if (c != "planes" && c != "projection")
      throw Error(where + ": gan.conditioning is '" + c.substr(0, 32) +
                  "', expected planes or projection");
    s.projection = c == "projection";
  }
  return s;
}

}  // namespace gan::models

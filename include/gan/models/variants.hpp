#pragma once
/// The K discriminators of a multi-discriminator run (GMAN, Durugkar et al. 2017), each one
/// of these variants, named in a comma-separated list (one entry for all, or one each):
///   model  the registry model's own discriminator; the first is the one Registry::make
///          built beside the generator (so K = 1 is the model as it always was), the k-th
///          (k >= 1) a copy initialised from spec.seed + k (Registry::make_discriminator)
///   half   the image downsampled 2x by AvgPool2d(2), then a small convolutional net
///          (half_discriminator.hpp), initialised as DCGAN's from spec.seed + k; a
///          conditional one takes the class as input planes, whatever spec.projection says
///   sn     the registry model's discriminator with spectral normalisation on every
///          Conv2d and Dense (spec.spectral_norm; models whose registry entry has an SN
///          form), initialised from spec.seed + k; with --spectral-norm, model is this too
///
///   auto ds = gan::models::make_discriminators(registry, spec, 3,
///                                              gan::models::parse_variants("model,model,half"),
///                                              *model.discriminator);
///   gan::Trainer<float> trainer(*model.generator, ds.all, options);

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gan/layers/init.hpp"
#include "gan/models/attack.hpp"
#include "gan/models/half_discriminator.hpp"
#include "gan/models/registry.hpp"

namespace gan::models {

/// The variants' names, in the order the documentation lists them.
inline const std::vector<std::string>& discriminator_variants() {
  static const std::vector<std::string> names = {"model", "half", "sn"};
  return names;
}

/// A comma-separated list of variant names, each checked.
inline std::vector<std::string> parse_variants(const std::string& list) {
  std::vector<std::string> out = gan::detail::split_named_list(list);
  for (const std::string& v : out) {
    bool known = false;
    for (const std::string& name : discriminator_variants()) known = known || v == name;
    if (!known)
      throw Error("unknown discriminator variant '" + v.substr(0, 40) +
                  "': expected model, half or sn");
  }
  return out;
}

/// One discriminator of the variant, for the spec's images, initialised from `seed`.
inline std::unique_ptr<AnyDiscriminator<float>> make_discriminator_variant(
    const Registry& registry, const ModelSpec& requested, const std::string& variant,
    std::uint64_t seed) {
  const ModelSpec spec = registry.complete(requested);
  if (variant == "model") return registry.make_discriminator(spec, seed);
  if (variant == "sn") {
    ModelSpec sn = spec;
    sn.spectral_norm = true;
    return registry.make_discriminator(sn, seed);
  }
  if (variant != "half") parse_variants(variant);  // throws, naming it
  manual_seed(seed);
  auto init = [](auto d) {
    dcgan_init(d.net(), default_rng());
    return erase_discriminator(std::move(d));
  };
  if (spec.d_output == Output::logits)
    return init(
        nets::half_logits_discriminator<float>(spec.channels, spec.image_size, spec.classes));
  return init(nets::half_discriminator<float>(spec.channels, spec.image_size, spec.classes));
}

/// A run's discriminators: `all` in checkpoint order (discriminator, discriminator_1, ...),
/// the ones built here owned by `owned`.
struct Discriminators {
  std::vector<std::unique_ptr<AnyDiscriminator<float>>> owned;
  std::vector<AnyDiscriminator<float>*> all;
};

/// K discriminators of the variants (1 entry for all, or K); the first is `model_d` (the
/// model's own, which the caller keeps) when its variant is "model".
inline Discriminators make_discriminators(const Registry& registry, const ModelSpec& spec,
                                          std::size_t count,
                                          const std::vector<std::string>& variants,
                                          AnyDiscriminator<float>& model_d) {
  if (count < 1 || count > 16)
    throw Error("--discriminators must be in [1, 16], got " + std::to_string(count));
  if (variants.size() != 1 && variants.size() != count)
    throw Error(std::to_string(variants.size()) + " discriminator variants for " +
                std::to_string(count) + " discriminators: give one for all or one each");
  Discriminators ds;
  for (std::size_t k = 0; k < count; ++k) {
    const std::string& variant = variants.size() == 1 ? variants[0] : variants[k];
    if (k == 0 && variant == "model") {
      ds.all.push_back(&model_d);
      continue;
    }
    ds.owned.push_back(make_discriminator_variant(registry, spec, variant, spec.seed + k));
    ds.all.push_back(ds.owned.back().get());
  }
  return ds;
}

}  // namespace gan::models

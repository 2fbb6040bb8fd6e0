#pragma once
/// RunOptions: everything that defines a training run of the gan_train program (and of a
/// user's own program built on TrainingRun), with its JSON form, which every checkpoint
/// stores as the "gan.run" metadata so that a resumed run continues with the same options.
///
/// Reading the JSON checks every value's type and range (a number out of range is a
/// gan::Error naming the key, never a silent clamp or undefined behaviour), and accepts the
/// options of checkpoints written by mnist_gan before gan_train (its "lr" for both rates,
/// and its "hybrid" loss, which is bce with a reconstruction weight "lambda").
///
/// What is not saved may change between a run and its resumption: the data's location,
/// the output folder, the thread count, the cadence of grids, and the number of epochs
/// (so a finished run can be extended).

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "gan/core/error.hpp"
#include "gan/models/registry.hpp"
#include "gan/models/trainer.hpp"
#include "gan/models/variants.hpp"

namespace gan::run {

struct RunOptions {
  // --- saved in checkpoints ---
  std::string model = "dcgan28-bn";
  index_t image_size = 0;  ///< 0: the model's own size
  index_t channels = 0;    ///< 0: the data's (IDX: 1, image folders: 3 where the model can)
  index_t width = 0;       ///< 0: the model's default
  index_t z_dim = 100;
  bool conditional = false;
  /// bce (D gives probabilities) | ns (bce on logits) | lsgan | hinge. The default, least
  /// squares with 1e-4 * MSE(G(z), x), is the design's generator loss; it scored the best
  /// FID of the recipes measured (docs/training.md). --loss bce --recon 0: the old default.
  std::string loss = "lsgan";
  double recon = 1e-4;  ///< weight of MSE(G(z), x) in G's loss
  std::string augment;  ///< DiffAugment policy of D's inputs ("" none)
  double ema = 0.999;   ///< decay of the generator's moving average (0: none)
  /// Spectral norm in D: 1 on, 0 off, -1 (auto) on where D is a projection discriminator,
  /// the best conditional recipe measured (docs/training.md), else off. A run saves the choice.
  int spectral_norm = -1;
  /// How a conditional D takes the class: projection (Miyato & Koyama 2018; the dcgan28
  /// models) | planes (constant input planes, Mirza & Osindero 2014) | auto: projection
  /// where the model has it, else planes. A run saves what auto chose.
  std::string conditioning = "auto";
  int epochs = 20;
  int batch = 64;
  /// Adam's learning rates; --lr sets both to one value. lr_d -1 (auto): twice lr_g for an
  /// unconditional run, a two time-scale update rule (Heusel et al. 2017) that lowered the
  /// default run's FID by 18 % and 15 % on two seeds, and lr_g for a conditional one, where
  /// it did worse (docs/training.md). A run saves the value auto chose.
  double lr_g = 2e-4, lr_d = -1;
  int d_steps = 1;
  double label_smoothing = 0;
  std::uint64_t seed = 0;
  // K discriminators (GMAN; docs/multi_discriminator.md); lists give one entry for all or K
  int discriminators = 1;
  std::string d_variants = "model";  ///< model | half (models/variants.hpp)
  std::string d_attacks = "none";    ///< none | noise:σ | fgsm:ε | pgd:ε,steps,α (attack.hpp)
  std::string aggregate = "mean";    ///< mean | max | softmean:λ | auto (aggregate.hpp)
  // --- not saved ---
  std::string data;
  std::string out = "out";
  int threads = 0;  ///< 0: chosen by measurement (thread_tuner.hpp), up to every core
  int sample_every = 200;
  std::string resume;
  // sample quality during training (run_eval.hpp, docs/eval.md)
  int eval_every = -1;  ///< steps between evaluations; -1: at every grid; 0: never
  index_t eval_samples = 2000;
  std::string eval_weights;  ///< the evaluation classifier's weights; empty: no evaluation
  bool report = true;        ///< write OUT/report.html (io/report.hpp)
};

/// The saved part as JSON.
inline nlohmann::json to_json(const RunOptions& o) {
  return {{"model", o.model},
          {"image_size", o.image_size},
          {"channels", o.channels},
          {"width", o.width},
          {"z_dim", o.z_dim},
          {"conditional", o.conditional},
          {"loss", o.loss},
          {"recon", o.recon},
          {"augment", o.augment},
          {"ema", o.ema},
          {"spectral_norm", o.spectral_norm == 1},
          {"conditioning", o.conditioning},
          {"epochs", o.epochs},
          {"batch", o.batch},
          {"lr_g", o.lr_g},
          {"lr_d", o.lr_d},
          {"d_steps", o.d_steps},
          {"label_smoothing", o.label_smoothing},
          {"seed", o.seed},
          {"discriminators", o.discriminators},
          {"d_variants", o.d_variants},
          {"d_attacks", o.d_attacks},
          {"aggregate", o.aggregate}};
}

namespace detail {

/// The JSON value j[key] as a whole number in [lo, hi], or gan::Error.
inline std::int64_t json_integer(const nlohmann::json& j, const std::string& key, std::int64_t lo,
                                 std::int64_t hi) {
  const auto& v = j.at(key);
  bool ok = false;
  std::int64_t x = 0;
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    ok = u <= static_cast<std::uint64_t>(hi);
    x = ok ? static_cast<std::int64_t>(u) : 0;
  } else if (v.is_number_integer()) {
    x = v.get<std::int64_t>();
    ok = true;
  }
  if (!ok || x < lo || x > hi)
    throw Error("'" + key + "' must be a whole number in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "], got " + v.dump().substr(0, 40));
  return x;
}

inline double json_number(const nlohmann::json& j, const std::string& key, double lo, double hi) {
  const auto& v = j.at(key);
  const double x = v.is_number() ? v.get<double>() : std::nan("");
  if (!(x >= lo && x <= hi))
    throw Error("'" + key + "' must be a number in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "], got " + v.dump().substr(0, 40));
  return x;
}

inline std::uint64_t json_seed(const nlohmann::json& j, const std::string& key) {
  const auto& v = j.at(key);
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  throw Error("'" + key + "' must be a whole number in [0, 2^64), got " + v.dump().substr(0, 40));
}

}  // namespace detail

/// Replaces the saved options in `o` with those of a checkpoint's "gan.run" text.
inline void adopt_saved(RunOptions& o, const std::string& run_json, const std::string& path) {
  try {
    const auto j = nlohmann::json::parse(run_json);
    if (!j.is_object()) throw Error("not a JSON object");
    using detail::json_integer;
    using detail::json_number;
    o.model = j.at("model").get<std::string>();
    o.conditional = j.at("conditional").get<bool>();
    o.loss = j.at("loss").get<std::string>();
    o.batch = static_cast<int>(json_integer(j, "batch", 1, 1 << 20));
    o.d_steps = static_cast<int>(json_integer(j, "d_steps", 1, 1000));
    o.label_smoothing = json_number(j, "label_smoothing", 0, 1);
    o.seed = detail::json_seed(j, "seed");
    if (j.contains("lr_g")) {
      o.lr_g = json_number(j, "lr_g", 0, 1e3);
      o.lr_d = json_number(j, "lr_d", 0, 1e3);
    } else {
      o.lr_g = o.lr_d = json_number(j, "lr", 0, 1e3);  // mnist_gan's
    }
    if (o.loss == "hybrid") {  // mnist_gan's: bce with the reconstruction term
      o.loss = "bce";
      o.recon = json_number(j, "lambda", 0, 1e6);
    } else {
      o.recon = j.contains("recon") ? json_number(j, "recon", 0, 1e6) : 0.0;
    }
    // Absent from checkpoints written before the modern recipe: off.
    o.augment = j.contains("augment") ? j.at("augment").get<std::string>() : "";
    o.ema = j.contains("ema") ? json_number(j, "ema", 0, 1) : 0.0;
    o.spectral_norm = j.contains("spectral_norm") && j.at("spectral_norm").get<bool>() ? 1 : 0;
    o.conditioning =
        j.contains("conditioning") ? j.at("conditioning").get<std::string>() : "planes";
    o.image_size = j.contains("image_size") ? json_integer(j, "image_size", 0, 4096) : 28;
    o.channels = j.contains("channels") ? json_integer(j, "channels", 0, 4) : 1;
    o.width = j.contains("width") ? json_integer(j, "width", 0, 1024) : 0;
    o.z_dim = j.contains("z_dim") ? json_integer(j, "z_dim", 1, 4096) : 100;
    // Runs from before several discriminators: one, the model's, unhardened.
    o.discriminators = j.contains("discriminators")
                           ? static_cast<int>(json_integer(j, "discriminators", 1, 16))
                           : 1;
    o.d_variants = j.contains("d_variants") ? j.at("d_variants").get<std::string>() : "model";
    o.d_attacks = j.contains("d_attacks") ? j.at("d_attacks").get<std::string>() : "none";
    o.aggregate = j.contains("aggregate") ? j.at("aggregate").get<std::string>() : "mean";
  } catch (const std::exception& e) {
    // nlohmann's messages may quote the input; keep the line short.
    std::string why = e.what();
    if (why.size() > 160) why = why.substr(0, 160) + "...";
    throw Error("checkpoint '" + path + "': bad run options (" + why + ")");
  }
}

/// The adversarial loss and the discriminator's output a loss name asks for.
/// ns is bce on a logits discriminator, the non-saturating loss in its stable form; hinge
/// needs logits too.
inline Loss trainer_loss(const std::string& name) {
  if (name == "bce" || name == "ns") return Loss::bce;
  if (name == "lsgan") return Loss::lsgan;
  if (name == "hinge") return Loss::hinge;
  throw Error("unknown loss '" + name + "': expected bce, ns, lsgan or hinge");
}
inline Output discriminator_output(const std::string& loss) {
  return loss == "ns" || loss == "hinge" ? Output::logits : Output::probability;
}

/// D's learning rate: o.lr_d, or for -1 (auto) 2 * lr_g unconditional and lr_g conditional.
inline double resolved_lr_d(const RunOptions& o) noexcept {
  return o.lr_d != -1 ? o.lr_d : (o.conditional ? 1 : 2) * o.lr_g;
}

/// The trainer's options; fgsm and pgd keep attacked images in the model's range.
inline TrainerOptions trainer_options(const RunOptions& o, data::Range range = data::Range::unit) {
  TrainerOptions t;
  t.loss = trainer_loss(o.loss);
  t.recon = o.recon;
  t.lr_g = o.lr_g;
  t.lr_d = resolved_lr_d(o);
  t.d_steps = o.d_steps;
  t.label_smoothing = o.label_smoothing;
  t.seed = o.seed;
  t.augment = AugmentPolicy::parse(o.augment);
  t.aggregate = parse_aggregate(o.aggregate);
  t.hardening.attacks = parse_attacks(o.d_attacks);
  t.hardening.lo = range == data::Range::unit ? 0.0 : -1.0;
  t.hardening.hi = 1.0;
  return t;
}

/// What o.conditioning means for o's model: "auto" is "projection" for a conditional run of
/// a model with a projection discriminator, else "planes"; any other value is itself.
inline std::string resolved_conditioning(const RunOptions& o, const models::Registry& registry) {
  if (o.conditioning != "auto") return o.conditioning;
  return o.conditional && registry.find(o.model).projection ? "projection" : "planes";
}

/// Checks what a user can get wrong, before any work starts.
inline void validate(const RunOptions& o, const models::Registry& registry) {
  auto fail = [](const std::string& what) { throw Error(what); };
  if (o.batch < 1) fail("--batch must be >= 1, got " + std::to_string(o.batch));
  if (o.epochs < 1) fail("--epochs must be >= 1, got " + std::to_string(o.epochs));
  if (o.sample_every < 1)
    fail("--sample-every must be >= 1, got " + std::to_string(o.sample_every));
  if (o.threads < 0) fail("--threads must be >= 0, got " + std::to_string(o.threads));
  if (o.out.empty()) fail("--out must name a folder (it is empty)");
  if (o.eval_every < -1) fail("--eval-every must be -1 (with the grids), 0 (off) or >= 1");
  if (o.eval_samples < 4 || o.eval_samples > 5000)
    fail("--eval-samples must be in [4, 5000], got " + std::to_string(o.eval_samples));
  if (!(o.ema == 0 || (o.ema > 0 && o.ema < 1)))
    fail("--ema must be 0 (off) or a decay in (0, 1), got " + std::to_string(o.ema));
  const models::ModelEntry& e = registry.find(o.model);
  if (o.conditioning != "auto" && o.conditioning != "planes" && o.conditioning != "projection")
    fail("unknown --conditioning '" + o.conditioning.substr(0, 40) +
         "': expected auto, planes or projection");
  // The shape the options ask for, before any data is read (a folder is decoded at it).
  if (o.image_size > 0 || o.channels > 0) {
    models::ModelSpec shape;
    shape.model = o.model;
    shape.image_size = o.image_size > 0 ? o.image_size : e.sizes.front();
    shape.channels = o.channels > 0 ? o.channels : e.channels.front();
    registry.complete(shape);
  }
  trainer_options(o).validate();
  if (o.discriminators < 1 || o.discriminators > 16)
    fail("--discriminators must be in [1, 16], got " + std::to_string(o.discriminators));
  const auto k = static_cast<std::size_t>(o.discriminators);
  const auto attacks = parse_attacks(o.d_attacks);
  if (attacks.size() != 1 && attacks.size() != k)
    fail("--d-attacks lists " + std::to_string(attacks.size()) + " attacks for " +
         std::to_string(k) + " discriminators: give one for all or one each");
  const auto variants = models::parse_variants(o.d_variants);
  if (variants.size() != 1 && variants.size() != k)
    fail("--d-variants lists " + std::to_string(variants.size()) + " variants for " +
         std::to_string(k) + " discriminators: give one for all or one each");
}

}  // namespace gan::run

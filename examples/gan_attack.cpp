// gan_attack: how far FGSM and PGD attacks move the discriminators of a checkpoint written
// by gan_train, each alone and all of them together (docs/multi_discriminator.md).
//
//   gan_attack --checkpoint out/checkpoints/final.safetensors
//   gan_attack --checkpoint final.safetensors --eps 0.01,0.03 --n 500 --json attack.json
// Real images are the first --n of --data (the bundled digits by default: the images the
// run trained on); fakes are --n samples of the checkpoint's generator. For every ε,
// fgsm:ε and pgd:ε,S,2.5ε/S (S = --pgd-steps; Madry et al. 2018's step) attack each
// discriminator alone and then the ensemble of all K (mean probability, mean loss;
// gan/run/robustness.hpp), and the table gives, for real images and for fakes, the share
// the panel judged right on the clean image and the share of those the attack flipped.
// Bad input prints one line and exits with 2.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gan/io.hpp>
#include <gan/models/variants.hpp>
#include <gan/run/data_source.hpp>
#include <gan/run/robustness.hpp>
#include <gan/run/run_options.hpp>
#include <gan/run/sampling.hpp>
#include <nlohmann/json.hpp>

#include "common/models.hpp"

namespace {

struct Options {
  std::string checkpoint;
  std::string data;
  int n = 1000;
  std::string eps = "0.02,0.05,0.1";
  int pgd_steps = 10;
  std::uint64_t seed = 1;
  std::string json;
  int threads = 0;
};

std::string default_data() {
  const std::filesystem::path built_from = std::filesystem::path(GAN_SOURCE_DIR) / "data" / "mnist";
  std::error_code ec;
  return std::filesystem::is_directory(built_from, ec) ? built_from.string() : "data/mnist";
}

std::vector<double> parse_eps(const std::string& list) {
  std::vector<double> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const double e = gan::detail::parse_number(list.substr(start, comma - start), "--eps");
    if (!(e > 0 && e <= 1)) throw gan::Error("--eps: each epsilon must be in (0, 1]");
    out.push_back(e);
    start = comma + 1;
  }
  return out;
}

/// An attack as the table shows it: pgd's step size to 3 digits.
std::string label(const gan::Attack& a) {
  if (a.kind != gan::AttackKind::pgd) return a.str();
  char buf[64];
  std::snprintf(buf, sizeof buf, "pgd:%g,%d,%.3g", a.epsilon, a.steps, a.step_size);
  return buf;
}

int run(const Options& o) {
  if (o.n < 1) throw gan::Error("--n must be >= 1, got " + std::to_string(o.n));
  if (o.pgd_steps < 1 || o.pgd_steps > 1000)
    throw gan::Error("--pgd-steps must be in [1, 1000], got " + std::to_string(o.pgd_steps));
  const std::vector<double> eps = parse_eps(o.eps);
  const gan::SafetensorsFile file = gan::load_safetensors(o.checkpoint);
  const auto run_json = file.metadata().find("gan.run");
  if (run_json == file.metadata().end())
    throw gan::Error("checkpoint '" + o.checkpoint + "' was not written by gan_train (no gan.run)");
  gan::run::RunOptions saved;
  gan::run::adopt_saved(saved, run_json->second, o.checkpoint);
  saved.data = o.data;

  // The nets as the run built them, then their weights from the file.
  const auto& registry = programs::models();
  const gan::models::ModelSpec spec =
      gan::models::spec_from_identity(file.metadata(), o.checkpoint);
  gan::models::Model m = registry.make(spec);
  const auto variants = gan::models::parse_variants(saved.d_variants);
  auto ds = gan::models::make_discriminators(
      registry, m.spec, static_cast<std::size_t>(saved.discriminators), variants, *m.discriminator);
  gan::load_generator(file, *m.generator);
  std::vector<std::pair<std::string, gan::Tensor<float>*>> targets;
  for (std::size_t k = 0; k < ds.all.size(); ++k) {
    const std::string prefix = gan::Trainer<float>::discriminator_name(k) + ".";
    for (auto& p : ds.all[k]->parameters()) targets.emplace_back(prefix + p.name, &p.value);
    for (auto& b : ds.all[k]->buffers()) targets.emplace_back(prefix + b.name, &b.value);
  }
  gan::load_into(file, targets);
  m.generator->eval();
  for (auto* d : ds.all) d->eval();

  // Real images (with their labels for a conditional model) and as many fakes.
  gan::data::ImageSet set = gan::run::load_training_data(saved, registry);
  if (set.channels != m.spec.channels || set.height != m.spec.image_size ||
      set.width != m.spec.image_size)
    throw gan::Error("data: " + set.describe() + ", but the checkpoint's model makes " +
                     m.spec.describe() + " images");
  const gan::index_t n = std::min<gan::index_t>(o.n, set.count);
  std::vector<gan::index_t> indices(static_cast<std::size_t>(n));
  for (gan::index_t i = 0; i < n; ++i) indices[static_cast<std::size_t>(i)] = i;
  gan::Tensor<float> real({n, set.channels, set.height, set.width}), z, fake;
  gan::data::copy_batch(set, indices.data(), m.range, real);
  const gan::index_t classes = m.generator->classes();
  if (classes > 0 && !set.labelled())
    throw gan::Error("the checkpoint's model is conditional: --data '" + o.data +
                     "' needs its labels beside it");
  std::vector<int> real_labels, fake_labels;
  for (gan::index_t i = 0; i < n && classes > 0; ++i) {
    real_labels.push_back(set.labels.at(static_cast<std::size_t>(i)));
    fake_labels.push_back(static_cast<int>(i % classes));
  }
  gan::Rng noise(o.seed);
  m.generator->sample_noise(z, n, noise);
  gan::run::generate(*m.generator, z, fake_labels, 100, fake);

  const double lo = m.range == gan::data::Range::unit ? 0.0 : -1.0, hi = 1.0;
  const std::vector<gan::Attack> hardening = gan::parse_attacks(saved.d_attacks);
  std::printf("gan_attack: %s: %s, %zu discriminators (%s; trained with %s, aggregate %s)\n",
              o.checkpoint.c_str(), m.spec.describe().c_str(), ds.all.size(),
              saved.d_variants.c_str(), saved.d_attacks.c_str(), saved.aggregate.c_str());
  std::printf("%lld real images of %s, %lld generated; attacks in [%g, %g]\n\n",
              static_cast<long long>(n), o.data.c_str(), static_cast<long long>(n), lo, hi);
  std::printf("%-26s %-24s %9s %11s %9s %11s\n", "panel", "attack", "real acc", "real->fake",
              "fake acc", "fake->real");

  nlohmann::json rows = nlohmann::json::array();
  const std::size_t k_count = ds.all.size();
  for (std::size_t panel = 0; panel <= k_count; ++panel) {
    if (panel == k_count && k_count == 1) break;  // one discriminator is its own ensemble
    std::vector<gan::AnyDiscriminator<float>*> members;
    std::string name;
    if (panel < k_count) {
      members = {ds.all[panel]};
      const std::string& variant = variants.size() == 1 ? variants[0] : variants[panel];
      const gan::Attack h = hardening.size() == 1 ? hardening[0] : hardening.at(panel);
      name = "D" + std::to_string(panel) + " " + variant + ", " + h.str();
    } else {
      members = ds.all;
      name = "ensemble of " + std::to_string(k_count);
    }
    for (const double e : eps) {
      gan::Attack fgsm, pgd;
      fgsm.kind = gan::AttackKind::fgsm;
      fgsm.epsilon = pgd.epsilon = e;
      pgd.kind = gan::AttackKind::pgd;
      pgd.steps = o.pgd_steps;
      pgd.step_size = 2.5 * e / o.pgd_steps;
      for (const gan::Attack& a : {fgsm, pgd}) {
        gan::Rng rng(o.seed + 1);
        const auto r = gan::run::attack_outcome(members, real, real_labels, true, a, lo, hi, rng);
        const auto f = gan::run::attack_outcome(members, fake, fake_labels, false, a, lo, hi, rng);
        std::printf("%-26s %-24s %9.3f %11.3f %9.3f %11.3f\n", name.c_str(), label(a).c_str(),
                    r.clean_accuracy(), r.flip_rate(), f.clean_accuracy(), f.flip_rate());
        rows.push_back({{"panel", name},
                        {"members", members.size()},
                        {"attack", a.str()},
                        {"epsilon", e},
                        {"real_accuracy", r.clean_accuracy()},
                        {"real_flipped", r.flip_rate()},
                        {"fake_accuracy", f.clean_accuracy()},
                        {"fake_flipped", f.flip_rate()}});
      }
    }
  }
  if (!o.json.empty()) {
    nlohmann::json j = {{"checkpoint", o.checkpoint},
                        {"model", m.spec.describe()},
                        {"discriminators", k_count},
                        {"d_variants", saved.d_variants},
                        {"d_attacks", saved.d_attacks},
                        {"aggregate", saved.aggregate},
                        {"images", n},
                        {"pgd_steps", o.pgd_steps},
                        {"rows", rows}};
    std::ofstream out(o.json);
    if (!(out << j.dump(2) << '\n')) throw gan::Error("cannot write '" + o.json + "'");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.data = default_data();
  CLI::App app{
      "gan_attack: FGSM and PGD against a checkpoint's discriminators "
      "(docs/multi_discriminator.md)"};
  app.option_defaults()->always_capture_default();
  app.add_option("--checkpoint", o.checkpoint, "checkpoint written by gan_train")->required();
  app.add_option("--data", o.data, "the real images: IDX file or a folder holding one");
  app.add_option("--n", o.n, "real images, and as many generated ones");
  app.add_option("--eps", o.eps, "comma-separated L-inf radii, in the images' units");
  app.add_option("--pgd-steps", o.pgd_steps, "PGD steps (step size 2.5 eps / steps)");
  app.add_option("--seed", o.seed, "seed of the generated images and of PGD's start");
  app.add_option("--json", o.json, "also write the table as JSON here");
  app.add_option("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "gan_attack: error: %s\n", e.what());
    return 2;
  }
  try {
    if (o.threads > 0) gan::set_num_threads(o.threads);
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_attack: error: %s\n", e.what());
    return 2;
  }
}

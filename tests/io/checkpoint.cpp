#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "gan/gan.hpp"
#include "gan/io.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

/// Deterministic pseudo-data for step s: the same batch whatever happened before.
void fake_batch(std::int64_t s, gan::Tensor<float>& x, std::vector<int>& labels) {
  x.resize({16, 1, 28, 28});
  gan::Rng rng(1000 + static_cast<std::uint64_t>(s));
  rng.fill_uniform(x);
  labels.clear();
  for (int i = 0; i < 16; ++i) labels.push_back(static_cast<int>(rng.below(10)));
}

/// Trains until step `until` on fake_batch data (labels only for conditional models).
template <class Trainer>
void run(Trainer& t, std::int64_t until, bool conditional) {
  gan::Tensor<float> x;
  std::vector<int> labels;
  while (t.steps() < until) {
    fake_batch(t.steps(), x, labels);
    t.step(x, conditional ? labels : std::vector<int>{});
  }
}

template <class Trainer>
std::vector<gan::Tensor<float>> snapshot(Trainer& t) {
  std::vector<gan::Tensor<float>> out;
  for (auto& b : t.state_tensors()) out.push_back(b.value);
  return out;
}

template <class Trainer>
bool same(Trainer& t, const std::vector<gan::Tensor<float>>& s) {
  auto now = t.state_tensors();
  if (now.size() != s.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (now[i].value.shape() != s[i].shape()) return false;
    for (gan::index_t j = 0; j < s[i].size(); ++j)
      if (now[i].value[j] != s[i][j]) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("N steps straight equal K steps, save, load into fresh models, N - K steps",
          "[io][checkpoint][resume]") {
  const test_support::TempDir temp("gan_checkpoint_resume");
  const fs::path dir = temp.path;
  gan::TrainerOptions o;
  o.seed = 11;
  gan::manual_seed(1);
  auto g1 = gan::nets::dcgan28_bn_generator<float>(100, 10);
  auto d1 = gan::nets::dcgan28_discriminator<float>(10);
  gan::Trainer straight(g1, d1, o);
  run(straight, 6, true);

  gan::manual_seed(1);
  auto g2 = gan::nets::dcgan28_bn_generator<float>(100, 10);
  auto d2 = gan::nets::dcgan28_discriminator<float>(10);
  gan::Trainer first(g2, d2, o);
  run(first, 4, true);
  const std::string path = (dir / "k.safetensors").string();
  gan::save_checkpoint(path, first, {{"note", "k=4"}});

  // Fresh models with other weights and another seed: everything must come from the file.
  gan::manual_seed(99);
  auto g3 = gan::nets::dcgan28_bn_generator<float>(100, 10);
  auto d3 = gan::nets::dcgan28_discriminator<float>(10);
  gan::TrainerOptions other = o;
  other.seed = 12345;
  gan::Trainer resumed(g3, d3, other);
  const auto meta = gan::load_checkpoint(path, resumed);
  REQUIRE(meta.at("note") == "k=4");
  REQUIRE(resumed.steps() == 4);
  run(resumed, 6, true);
  REQUIRE(same(resumed, snapshot(straight)));

  // Control: without the checkpoint the runs differ, so the comparison can fail.
  gan::manual_seed(99);
  auto g4 = gan::nets::dcgan28_bn_generator<float>(100, 10);
  auto d4 = gan::nets::dcgan28_discriminator<float>(10);
  gan::Trainer unrelated(g4, d4, other);
  run(unrelated, 6, true);
  REQUIRE_FALSE(same(unrelated, snapshot(straight)));
}

TEST_CASE("Checkpoint keys are a PyTorch state_dict's, plus Adam moments", "[io][checkpoint]") {
  const test_support::TempDir temp("gan_checkpoint_keys");
  const fs::path dir = temp.path;
  auto g = gan::nets::dcgan28_generator<float>();
  auto d = gan::nets::dcgan28_discriminator<float>();
  gan::Trainer t(g, d);
  const std::string path = (dir / "c.safetensors").string();
  gan::save_checkpoint(path, t);
  const auto f = gan::load_safetensors(path);
  for (const char* key :
       {"generator.0.weight", "generator.5.bias", "discriminator.2.weight",
        "discriminator.5.weight", "optimizer_g.3.weight.exp_avg", "optimizer_d.0.bias.exp_avg_sq"})
    REQUIRE(f.contains(key));
  REQUIRE(f.shape("generator.3.weight") == std::vector<gan::index_t>{128, 64, 4, 4});
  REQUIRE(f.dtype("generator.0.weight") == "F32");
  REQUIRE(f.metadata().at("step") == "0");
}

TEST_CASE("A corrupt or mismatched checkpoint is refused and the model is untouched",
          "[io][checkpoint][errors]") {
  const test_support::TempDir temp("gan_checkpoint_refuse");
  const fs::path dir = temp.path;
  auto g = gan::nets::mlp28_generator<float>();
  auto d = gan::nets::mlp28_discriminator<float>();
  gan::Trainer mlp(g, d);
  run(mlp, 2, false);
  const auto before = snapshot(mlp);

  // Another model's checkpoint: names the first tensor that does not fit, and both shapes.
  auto gd = gan::nets::dcgan28_generator<float>();
  auto dd = gan::nets::dcgan28_discriminator<float>();
  gan::Trainer dcgan(gd, dd);
  const std::string other = (dir / "dcgan.safetensors").string();
  gan::save_checkpoint(other, dcgan);
  REQUIRE_THROWS_WITH(gan::load_checkpoint(other, mlp), Catch::Contains("generator.0.weight") &&
                                                            Catch::Contains("[128, 100]") &&
                                                            Catch::Contains("[6272, 100]"));
  REQUIRE(same(mlp, before));
  REQUIRE(mlp.steps() == 2);

  // A truncated copy of a good checkpoint.
  const std::string good = (dir / "good.safetensors").string();
  gan::save_checkpoint(good, mlp);
  const auto size = fs::file_size(good);
  const std::string cut = (dir / "cut.safetensors").string();
  fs::copy_file(good, cut);
  fs::resize_file(cut, size / 2);
  auto g2 = gan::nets::mlp28_generator<float>();
  auto d2 = gan::nets::mlp28_discriminator<float>();
  gan::Trainer fresh(g2, d2);
  const auto fresh_before = snapshot(fresh);
  REQUIRE_THROWS_AS(gan::load_checkpoint(cut, fresh), gan::Error);
  REQUIRE(same(fresh, fresh_before));

  // Garbage, and a safetensors file that is not a gan checkpoint.
  const std::string junk = (dir / "junk.safetensors").string();
  std::ofstream(junk) << "not a checkpoint at all";
  REQUIRE_THROWS_AS(gan::load_checkpoint(junk, fresh), gan::Error);
  gan::Tensor<float> t({2});
  const std::string plain = (dir / "plain.safetensors").string();
  gan::save_safetensors<float>(plain, {{"x", &t}});
  REQUIRE_THROWS_WITH(gan::load_checkpoint(plain, fresh), Catch::Contains("not a gan checkpoint"));
  REQUIRE(same(fresh, fresh_before));

  // The good one loads.
  gan::load_checkpoint(good, fresh);
  REQUIRE(same(fresh, snapshot(mlp)));
  REQUIRE(fresh.steps() == 2);
}

TEST_CASE("No checkpoint holds a NaN: save refuses it, load names the tensor",
          "[io][checkpoint][finite]") {
  const test_support::TempDir temp("gan_checkpoint_finite");
  const std::string path = temp / "latest.safetensors";
  auto g = gan::nets::mlp28_generator<float>();
  auto d = gan::nets::mlp28_discriminator<float>();
  gan::Trainer trainer(g, d);
  run(trainer, 1, false);
  gan::save_checkpoint(path, trainer);
  const std::string good = test_support::read_file(path);

  // A diverged run: one weight is NaN. The save is refused before anything is written.
  g.parameters()[2].value[17] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE(g.parameters()[2].name == "2.weight");
  REQUIRE_THROWS_WITH(gan::save_checkpoint(path, trainer),
                      Catch::Contains("cannot write '" + path + "'") &&
                          Catch::Contains("tensor 'generator.2.weight' holds a non-finite value "
                                          "(nan at element 17 of 16384); nothing was written"));
  REQUIRE(test_support::read_file(path) == good);
  REQUIRE(temp.entries() == 1);

  // A file whose Adam moment holds an infinity (written by hand): refused by name, and the
  // trainer that was asked to load it is unchanged.
  std::string bad = good;
  const std::uint64_t header_len = [&] {
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
      n = (n << 8) | static_cast<unsigned char>(bad[static_cast<std::size_t>(i)]);
    return n;
  }();
  const auto header = nlohmann::json::parse(bad.substr(8, header_len));
  const auto begin = header["optimizer_d.1.weight.exp_avg"]["data_offsets"][0].get<std::size_t>();
  const float inf = std::numeric_limits<float>::infinity();
  std::memcpy(&bad[8 + header_len + begin + 4 * 5], &inf, 4);
  REQUIRE(test_support::write_file(temp / "bad.safetensors", bad));
  auto g2 = gan::nets::mlp28_generator<float>();
  auto d2 = gan::nets::mlp28_discriminator<float>();
  gan::Trainer fresh(g2, d2);
  const auto before = snapshot(fresh);
  REQUIRE_THROWS_WITH(gan::load_checkpoint(temp / "bad.safetensors", fresh),
                      Catch::Contains("cannot load 1 of") &&
                          Catch::Contains("tensor 'optimizer_d.1.weight.exp_avg' holds a "
                                          "non-finite value (inf at element 5 of"));
  REQUIRE(same(fresh, before));
  REQUIRE(fresh.steps() == 0);
}

TEST_CASE("A checkpoint's bad metadata is refused in a message of readable length",
          "[io][checkpoint][errors]") {
  const test_support::TempDir temp("gan_checkpoint_meta");
  auto g = gan::nets::mlp28_generator<float>();
  auto d = gan::nets::mlp28_discriminator<float>();
  gan::Trainer trainer(g, d);
  // A 1 MB step count and a 1 MB format: the messages quote only their beginnings.
  const std::string huge(1 << 20, '7');
  gan::save_checkpoint(temp / "step.safetensors", trainer, {});
  auto f = gan::load_safetensors(temp / "step.safetensors");
  std::map<std::string, std::string> meta = f.metadata();
  meta["step"] = huge + "x";
  std::vector<std::pair<std::string, const gan::Tensor<float>*>> tensors;
  for (auto& b : trainer.state_tensors()) tensors.emplace_back(b.name, &b.value);
  gan::save_safetensors<float>(temp / "step.safetensors", tensors, meta);
  meta["step"] = "0";
  meta["gan.format"] = huge;
  gan::save_safetensors<float>(temp / "format.safetensors", tensors, meta);
  for (const char* name : {"step.safetensors", "format.safetensors"}) {
    std::string message;
    try {
      gan::load_checkpoint(temp / name, trainer);
    } catch (const gan::Error& e) {
      message = e.what();
    }
    INFO(message.substr(0, 500));
    REQUIRE_THAT(message, Catch::Contains(name));
    REQUIRE(message.size() < 500);
  }
}

TEST_CASE(
    "The modern recipe resumes exactly too: hinge on a spectral-norm D, DiffAugment "
    "(its random stream in the checkpoint) and the generator's EMA (its weights too)",
    "[io][checkpoint][resume]") {
  const test_support::TempDir temp("gan_checkpoint_recipe");
  gan::TrainerOptions o;
  o.seed = 5;
  o.loss = gan::Loss::hinge;
  o.augment = gan::AugmentPolicy::parse("translation,cutout");
  gan::EmaOptions ema;
  ema.decay = 0.9;
  auto make = [](std::uint64_t seed) {
    gan::manual_seed(seed);
    return std::make_pair(gan::nets::dcgan28_bn_generator<float>(16),
                          gan::nets::dcgan28_sn_logits_discriminator<float>());
  };
  auto [g1, d1] = make(1);
  auto s1 = gan::nets::dcgan28_bn_generator<float>(16);
  gan::Trainer straight(g1, d1, o);
  auto e1 = gan::erase_generator_ref(s1);
  straight.set_ema(*e1, ema);
  run(straight, 5, false);

  auto [g2, d2] = make(1);
  auto s2 = gan::nets::dcgan28_bn_generator<float>(16);
  gan::Trainer first(g2, d2, o);
  auto e2 = gan::erase_generator_ref(s2);
  first.set_ema(*e2, ema);
  run(first, 3, false);
  const std::string path = (temp.path / "recipe.safetensors").string();
  gan::save_checkpoint(path, first);
  const auto file = gan::load_safetensors(path);
  CHECK(gan::has_generator(file, "generator_ema."));
  CHECK(file.metadata().count("rng_augment") == 1);
  CHECK(file.metadata().count("discriminator.0.weight_u") == 0);  // a tensor, not metadata
  bool has_u = false;
  for (const auto& name : file.names()) has_u = has_u || name == "discriminator.0.weight_u";
  CHECK(has_u);

  auto [g3, d3] = make(77);
  auto s3 = gan::nets::dcgan28_bn_generator<float>(16);
  gan::Trainer resumed(g3, d3, o);
  auto e3 = gan::erase_generator_ref(s3);
  resumed.set_ema(*e3, ema);
  gan::load_checkpoint(path, resumed);
  run(resumed, 5, false);
  REQUIRE(same(resumed, snapshot(straight)));
  // The shadow moved with G but is not G.
  const auto ps = s1.parameters(), pg = g1.parameters();
  bool differs = false;
  for (std::size_t i = 0; i < ps.size(); ++i)
    for (gan::index_t j = 0; j < ps[i].value.size(); ++j)
      differs = differs || ps[i].value[j] != pg[i].value[j];
  CHECK(differs);
}

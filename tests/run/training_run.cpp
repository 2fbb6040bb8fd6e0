#include "gan/run/training_run.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gan/data/idx_dataset.hpp"
#include "gan/models/builtin.hpp"

namespace fs = std::filesystem;

namespace {

/// The first n bundled digits, as a run's data set.
gan::data::ImageSet digits(gan::index_t n) {
  static const gan::data::ImageSet all =
      gan::data::load_idx_dataset(GAN_SOURCE_DIR "/data/mnist/mnist-10k-images-idx3-ubyte.gz");
  gan::data::ImageSet s = all;
  s.count = n;
  s.pixels.resize(static_cast<std::size_t>(n * s.per_image()));
  s.labels.resize(static_cast<std::size_t>(n));
  return s;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("gan-run-test-" + name);
  fs::remove_all(p);
  return p;
}

gan::run::RunOptions quick(const fs::path& out) {
  gan::run::RunOptions o;
  o.model = "mlp";
  o.batch = 40;
  o.epochs = 2;
  o.sample_every = 1000;
  o.seed = 11;
  o.conditional = true;
  o.out = out.string();
  return o;
}

std::vector<gan::Tensor<float>> final_state(const fs::path& out) {
  const auto f = gan::load_safetensors((out / "checkpoints" / "final.safetensors").string());
  std::vector<gan::Tensor<float>> out_tensors;
  for (const auto& name : f.names()) {
    const auto& d = f.shape(name);
    gan::Tensor<float> t(d.size() == 1   ? gan::Shape{d[0]}
                         : d.size() == 2 ? gan::Shape{d[0], d[1]}
                         : d.size() == 3 ? gan::Shape{d[0], d[1], d[2]}
                                         : gan::Shape{d[0], d[1], d[2], d[3]});
    f.copy_to(name, t);
    out_tensors.push_back(std::move(t));
  }
  return out_tensors;
}

}  // namespace

TEST_CASE(
    "TrainingRun: a run stopped after one epoch and resumed ends with the same bits as "
    "one that ran straight through",
    "[run]") {
  const fs::path straight = fresh_dir("straight"), split = fresh_dir("split");
  const auto& registry = gan::models::builtin_models();
  {
    gan::run::TrainingRun run(quick(straight), registry, digits(200));
    REQUIRE(run.total_steps() == 10);
    REQUIRE(run.train() == 0);
  }
  {
    gan::run::RunOptions o = quick(split);
    o.epochs = 1;
    gan::run::TrainingRun first(o, registry, digits(200));
    REQUIRE(first.train() == 0);
    o.epochs = 2;
    o.resume = (split / "checkpoints" / "latest.safetensors").string();
    gan::run::TrainingRun second(o, registry, digits(200));
    REQUIRE(second.trainer().steps() == 5);
    REQUIRE(second.train() == 0);
  }
  const auto a = final_state(straight), b = final_state(split);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].shape() == b[i].shape());
    for (gan::index_t j = 0; j < a[i].size(); ++j) REQUIRE(a[i][j] == b[i][j]);
  }
  CHECK(fs::exists(split / "samples" / "final.png"));
}

TEST_CASE("TrainingRun: resumed after a crash between two saves, log.csv has every step once",
          "[run][log]") {
  const fs::path out = fresh_dir("crash-log");
  const auto& registry = gan::models::builtin_models();
  gan::run::RunOptions o = quick(out);
  o.epochs = 1;
  {
    gan::run::TrainingRun run(o, registry, digits(200));
    REQUIRE(run.train() == 0);  // 5 steps, saved at step 5
  }
  {
    // What a run killed after the save would have left: two more rows, the last cut off.
    std::ofstream log(out / "log.csv", std::ios::app);
    log << "6,2,0.1,0.1,0.5,0.5,100,,\n7,2,0.1";
  }
  o.epochs = 2;
  o.resume = (out / "checkpoints" / "latest.safetensors").string();
  {
    gan::run::TrainingRun run(o, registry, digits(200));
    REQUIRE(run.train() == 0);
  }
  std::ifstream log(out / "log.csv");
  std::string line;
  std::getline(log, line);
  REQUIRE(line.rfind("step,epoch,", 0) == 0);
  std::vector<long> steps;
  while (std::getline(log, line)) {
    REQUIRE(std::count(line.begin(), line.end(), ',') == 8);
    steps.push_back(std::stol(line));
  }
  REQUIRE(steps == std::vector<long>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

TEST_CASE(
    "TrainingRun: a checkpoint of another model, data set or shape is refused before "
    "anything changes",
    "[run]") {
  const fs::path out = fresh_dir("refuse");
  const auto& registry = gan::models::builtin_models();
  gan::run::RunOptions o = quick(out);
  o.epochs = 1;
  {
    gan::run::TrainingRun run(o, registry, digits(200));
    REQUIRE(run.train() == 0);
  }
  o.resume = (out / "checkpoints" / "final.safetensors").string();
  gan::run::RunOptions other = o;
  other.model = "dcgan28";
  CHECK_THROWS_WITH(gan::run::TrainingRun(other, registry, digits(200)),
                    Catch::Contains("its gan.model is mlp, this run's is dcgan28"));
  CHECK_THROWS_WITH(gan::run::TrainingRun(o, registry, digits(240)),
                    Catch::Contains("its data.count is 200, this run's is 240"));
  other = o;
  other.conditional = false;
  CHECK_THROWS_WITH(gan::run::TrainingRun(other, registry, digits(200)),
                    Catch::Contains("its gan.classes is 10, this run's is 0"));
  other = o;
  other.conditional = true;
  gan::data::ImageSet unlabelled = digits(200);
  unlabelled.labels.clear();
  unlabelled.class_names.clear();
  CHECK_THROWS_WITH(gan::run::TrainingRun(other, registry, std::move(unlabelled)),
                    Catch::Contains("--conditional needs labels"));
}

TEST_CASE(
    "TrainingRun: --conditioning auto takes the projection discriminator (spectrally "
    "normalised) where the model has one, planes elsewhere, and the checkpoint keeps the choice",
    "[run][projection]") {
  const auto& registry = gan::models::builtin_models();
  for (const std::string model : {"dcgan28-bn", "mlp"}) {
    const fs::path out = fresh_dir("conditioning-" + model);
    gan::run::RunOptions o = quick(out);
    o.model = model;
    o.epochs = 1;
    {
      gan::run::TrainingRun run(o, registry, digits(80));
      REQUIRE(run.train() == 0);
    }
    const std::string chosen = model == "mlp" ? "planes" : "projection";
    const auto f = gan::load_safetensors((out / "checkpoints" / "final.safetensors").string());
    CHECK(f.metadata().at("gan.conditioning") == chosen);
    CHECK(f.metadata().at("gan.spectral_norm") == (chosen == "projection" ? "1" : "0"));
    CHECK(f.metadata().at("gan.run").find("\"conditioning\":\"" + chosen + "\"") !=
          std::string::npos);
    const auto& names = f.names();
    const bool embedded =
        std::find(names.begin(), names.end(), "discriminator.embed.weight") != names.end();
    CHECK(embedded == (chosen == "projection"));
  }
  {  // spectral norm switched off explicitly stays off
    const fs::path out = fresh_dir("conditioning-no-sn");
    gan::run::RunOptions o = quick(out);
    o.model = "dcgan28";
    o.epochs = 1;
    o.spectral_norm = 0;
    gan::run::TrainingRun run(o, registry, digits(80));
    REQUIRE(run.train() == 0);
    const auto f = gan::load_safetensors((out / "checkpoints" / "final.safetensors").string());
    CHECK(f.metadata().at("gan.conditioning") == "projection");
    CHECK(f.metadata().at("gan.spectral_norm") == "0");
  }
  gan::run::RunOptions o = quick(fresh_dir("conditioning-bad"));
  o.conditioning = "projection";
  CHECK_THROWS_WITH(gan::run::TrainingRun(o, registry, digits(80)),
                    Catch::Contains("model mlp has no projection discriminator"));
  o.conditioning = "embedding";
  CHECK_THROWS_WITH(gan::run::TrainingRun(o, registry, digits(80)),
                    Catch::Contains("unknown --conditioning 'embedding'"));
}

TEST_CASE(
    "TrainingRun: D's learning rate is twice G's unconditionally, G's conditionally, "
    "unless given",
    "[run]") {
  const auto& registry = gan::models::builtin_models();
  gan::run::RunOptions o = quick(fresh_dir("lr-d"));
  o.lr_g = 3e-4;
  REQUIRE(o.lr_d == -1);  // auto
  {
    gan::run::TrainingRun run(o, registry, digits(80));  // quick() is conditional
    CHECK(run.options().lr_d == 3e-4);
  }
  o.conditional = false;
  {
    gan::run::TrainingRun run(o, registry, digits(80));
    CHECK(run.options().lr_d == 6e-4);
    CHECK(gan::run::to_json(run.options()).at("lr_d") == 6e-4);  // saved resolved
  }
  o.lr_d = 1e-4;
  gan::run::TrainingRun run(o, registry, digits(80));
  CHECK(run.options().lr_d == 1e-4);
}

namespace {
std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::ifstream f(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(f, line);) {
    rows.emplace_back();
    std::stringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) rows.back().push_back(cell);
  }
  return rows;
}
}  // namespace

TEST_CASE(
    "TrainingRun with evaluation: eval.csv beside the real-vs-real floor at every grid, the "
    "checkpoint of the lowest FID, and the report",
    "[run][eval]") {
  const fs::path out = fresh_dir("eval");
  const auto& registry = gan::models::builtin_models();
  gan::run::RunOptions o = quick(out);
  o.epochs = 1;  // 400 images in batches of 40: 10 steps
  o.sample_every = 5;
  o.eval_samples = 100;
  o.eval_weights = GAN_SOURCE_DIR "/data/eval/digit_classifier.safetensors";
  std::vector<std::string> messages;
  gan::run::RunHooks hooks;
  hooks.message = [&](const std::string& m) { messages.push_back(m); };
  gan::run::TrainingRun run(o, registry, digits(400));
  REQUIRE(run.train(hooks) == 0);

  const auto rows = read_csv(out / "eval.csv");
  REQUIRE(rows.size() == 3);
  REQUIRE(rows[0].size() == 14);
  CHECK(rows[0][0] == "step");
  CHECK(rows[0][1] == "fid");
  CHECK(rows[0][2] == "fid_floor");
  CHECK(rows[1][0] == "5");
  CHECK(rows[2][0] == "10");
  double best = 1e300;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    REQUIRE(rows[r].size() == 14);
    const double fid = std::stod(rows[r][1]), floor = std::stod(rows[r][2]);
    INFO("step " << rows[r][0] << ": FID " << fid << ", floor " << floor);
    // Ten steps of an MLP are far from real digits; two halves of real ones are close.
    CHECK(floor > 0);
    CHECK(fid > 3 * floor);
    CHECK(std::stod(rows[r][2]) == std::stod(rows[1][2]));  // one floor for the run's N
    CHECK(std::stod(rows[r][12]) >= 0);                     // conditional: agreement scored
    best = std::min(best, fid);
  }
  const auto f = gan::load_safetensors((out / "checkpoints" / "best.safetensors").string());
  CHECK(std::stod(f.metadata().at("gan.eval.best_fid")) == Approx(best).epsilon(1e-7));

  std::ifstream page(out / "report.html");
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  CHECK_THAT(html, Catch::Contains("fid_floor") || Catch::Contains("FID"));
  REQUIRE(messages.size() >= 2);
  CHECK_THAT(messages.front(), Catch::StartsWith("evaluation: 100 samples every 5 steps"));
  CHECK_THAT(messages.back(), Catch::Contains("x real-vs-real"));
}

TEST_CASE("TrainingRun: evaluation is skipped with a reason where it cannot apply", "[run][eval]") {
  const auto& registry = gan::models::builtin_models();
  gan::run::RunOptions o = quick(fresh_dir("eval-skip"));
  o.epochs = 1;
  o.batch = 10;
  o.eval_weights = GAN_SOURCE_DIR "/data/eval/digit_classifier.safetensors";
  std::vector<std::string> messages;
  gan::run::RunHooks hooks;
  hooks.message = [&](const std::string& m) { messages.push_back(m); };
  gan::run::TrainingRun run(o, registry, digits(30));  // halves of 15: too few for a floor
  REQUIRE(run.train(hooks) == 0);
  REQUIRE(!messages.empty());
  CHECK_THAT(messages.front(), Catch::Contains("too few images"));
  CHECK(!fs::exists(fs::path(o.out) / "eval.csv"));
  o.eval_every = 0;
  CHECK(gan::run::RunEvaluation(o, run.spec(), run.data()).reason() == "off (--eval-every 0)");
}

TEST_CASE("TrainingRun: sampled images do not depend on the chunk they are drawn in",
          "[run][sampling]") {
  // Grids and evaluations draw TrainingRun::sample_chunk samples per call (fewer than a
  // batch, to keep an EMA generator's buffers small); in eval mode every sample must come
  // out bit for bit as it would in one call of the whole set.
  const auto& registry = gan::models::builtin_models();
  for (const auto& e : registry.entries())
    for (gan::index_t classes : {0, 3}) {
      gan::models::ModelSpec spec;
      spec.model = e.name;
      spec.image_size = e.sizes.front();
      spec.channels = e.channels.front();
      spec.classes = classes;
      spec.z_dim = 12;
      spec.width = e.default_width ? 4 : 0;
      spec.seed = 5;
      gan::models::Model m = registry.make(spec);
      INFO(spec.describe());
      gan::Tensor<float> z;
      gan::Rng rng(9);
      const gan::index_t n = 40;
      m.generator->sample_noise(z, n, rng);
      std::vector<int> labels;
      for (gan::index_t i = 0; i < n && classes > 0; ++i)
        labels.push_back(static_cast<int>(i % classes));
      m.generator->eval();
      gan::Tensor<float> whole, chunked;
      gan::run::generate(*m.generator, z, labels, n, whole);
      for (gan::index_t chunk : {gan::run::TrainingRun::sample_chunk, gan::index_t(7)}) {
        INFO("chunk " << chunk);
        gan::run::generate(*m.generator, z, labels, chunk, chunked);
        REQUIRE(chunked.shape() == whole.shape());
        REQUIRE(std::equal(whole.begin(), whole.end(), chunked.begin()));
      }
    }
}

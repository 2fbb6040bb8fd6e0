#include "gan/run/training_run.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

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

// mnist_gan: trains a GAN on MNIST-format digits and writes sample grids, a log and
// checkpoints. With no arguments it trains the default model on the bundled 10,000
// digits (data/mnist). docs/training.md describes every option and output.
//
//   OUT/samples/step_NNNNNN.png   fixed-noise grids (rows are classes when --conditional)
//   OUT/samples/final.png
//   OUT/checkpoints/latest.safetensors, OUT/checkpoints/final.safetensors
//   OUT/log.csv                   step, epoch, losses, D(x), D(G(z)), images/s
// Ctrl-C saves OUT/checkpoints/latest.safetensors and exits with code 130.
// Bad input (data, options, checkpoint, output folder) prints one line and exits with 2.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gan/gan.hpp>
#include <gan/io.hpp>
#include <gan/models/trainer.hpp>
#include <nlohmann/json.hpp>
#include <numeric>
#include <vector>

#include "dataset.hpp"
#include "model_zoo.hpp"
#include "progress.hpp"

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

/// Everything that defines a run; saved in every checkpoint as "gan.run".
struct Config {
  std::string data = dataset::default_folder();
  std::string model = "dcgan28-bn";
  std::string loss = "bce";
  double lambda = 10.0;
  bool conditional = false;
  int epochs = 20;
  int batch = 64;
  double lr = 2e-4;
  int d_steps = 1;
  double label_smoothing = 0.0;
  std::uint64_t seed = 0;
  int threads = 0;
  std::string out = "out";
  int sample_every = 200;
  std::string resume;
};

nlohmann::json to_json(const Config& c) {
  return {{"model", c.model},
          {"loss", c.loss},
          {"lambda", c.lambda},
          {"conditional", c.conditional},
          {"epochs", c.epochs},
          {"batch", c.batch},
          {"lr", c.lr},
          {"d_steps", c.d_steps},
          {"label_smoothing", c.label_smoothing},
          {"seed", c.seed}};
}

/// The run options saved in a checkpoint replace ours; --epochs, --out, --threads,
/// --sample-every and --data stay as given, so a run can be extended or moved.
void adopt_saved_run(Config& c, const std::string& run_json, const std::string& path) {
  try {
    const auto j = nlohmann::json::parse(run_json);
    c.model = j.at("model").get<std::string>();
    c.loss = j.at("loss").get<std::string>();
    c.lambda = j.at("lambda").get<double>();
    c.conditional = j.at("conditional").get<bool>();
    c.batch = j.at("batch").get<int>();
    c.lr = j.at("lr").get<double>();
    c.d_steps = j.at("d_steps").get<int>();
    c.label_smoothing = j.at("label_smoothing").get<double>();
    c.seed = j.at("seed").get<std::uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw gan::Error("checkpoint '" + path + "': bad run options (" + e.what() + ")");
  }
}

/// A resumed run keeps the options saved in its checkpoint (all of to_json's but epochs).
/// An option given on the command line that disagrees with them is refused rather than
/// silently ignored.
void refuse_conflicts(const CLI::App& app, const Config& given, const Config& saved) {
  const nlohmann::json ours = to_json(given), theirs = to_json(saved);
  for (const auto& [key, value] : theirs.items()) {
    std::string option = "--" + key;
    std::replace(option.begin(), option.end(), '_', '-');
    if (key == "epochs" || app.count(option) == 0 || ours[key] == value) continue;
    const std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    throw gan::Error(option + " conflicts with the checkpoint's " + shown +
                     " (a resumed run keeps its saved options; leave " + option + " out)");
  }
}

gan::TrainerOptions trainer_options(const Config& c) {
  gan::TrainerOptions o;
  o.loss = gan::parse_loss(c.loss);
  o.lambda = c.lambda;
  o.lr_g = o.lr_d = c.lr;
  o.d_steps = c.d_steps;
  o.label_smoothing = c.label_smoothing;
  o.seed = c.seed;
  return o;
}

/// Checks the options a user can get wrong, before any work starts.
void validate(const Config& c) {
  auto fail = [](const std::string& what) { throw gan::Error(what); };
  if (c.batch < 1) fail("--batch must be >= 1, got " + std::to_string(c.batch));
  if (c.epochs < 1) fail("--epochs must be >= 1, got " + std::to_string(c.epochs));
  if (c.sample_every < 1)
    fail("--sample-every must be >= 1, got " + std::to_string(c.sample_every));
  if (c.threads < 0) fail("--threads must be >= 0, got " + std::to_string(c.threads));
  if (!(c.lr > 0)) fail("--lr must be > 0");
  if (!zoo::known(c.model)) fail("unknown model '" + c.model + "': expected " + zoo::model_names);
  trainer_options(c).validate();
}

/// Creates OUT/samples and OUT/checkpoints and proves they are writable.
void prepare_output(const std::string& out) {
  std::error_code ec;
  for (const char* sub : {"samples", "checkpoints"}) {
    const fs::path dir = fs::path(out) / sub;
    fs::create_directories(dir, ec);
    const fs::path probe = dir / ".write-test";
    std::ofstream f(probe);
    if (ec || !f) throw gan::Error("output folder '" + dir.string() + "' is not writable");
    f.close();
    fs::remove(probe, ec);
  }
}

/// Epoch e visits the data in a permutation that depends only on (seed, e), so a
/// resumed run sees the same batches as an uninterrupted one.
void permutation(std::vector<gan::index_t>& order, gan::index_t n, std::uint64_t seed,
                 std::int64_t epoch) {
  order.resize(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), gan::index_t(0));
  gan::Rng rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch) + 1);
  for (gan::index_t i = n - 1; i > 0; --i)
    std::swap(order[static_cast<std::size_t>(i)],
              order[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i + 1)))]);
}

std::string step_name(std::int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step_%06lld.png", static_cast<long long>(step));
  return buf;
}

template <class G, class D>
int train(G& g, D& d, const Config& c, const dataset::Dataset& data) {
  gan::Trainer trainer(g, d, trainer_options(c));
  const std::map<std::string, std::string> run_meta = {{"gan.model", c.model},
                                                       {"gan.classes", std::to_string(g.classes())},
                                                       {"gan.z_dim", std::to_string(g.z_dim())},
                                                       {"gan.run", to_json(c).dump()}};
  if (!c.resume.empty()) {
    gan::load_checkpoint(c.resume, trainer);
    std::fprintf(stderr, "resumed from %s at step %lld\n", c.resume.c_str(),
                 static_cast<long long>(trainer.steps()));
  }

  const gan::index_t n = data.count;
  const gan::index_t per_epoch = n / c.batch;
  if (per_epoch < 1)
    throw gan::Error("--batch " + std::to_string(c.batch) + " is larger than the data set (" +
                     std::to_string(n) + " images)");
  const std::int64_t total = per_epoch * c.epochs;

  // Fixed noise for the sample grids: 10 x 10, one class per row when conditional.
  gan::Rng fixed_rng(c.seed + 12345);
  gan::Tensor<float> fixed_z;
  g.sample_noise(fixed_z, 100, fixed_rng);
  std::vector<int> fixed_labels;
  if (g.conditional())
    for (int i = 0; i < 100; ++i) fixed_labels.push_back(i / 10);
  // The grid is generated in chunks of at most one training batch, so that sampling does
  // not grow the generator's buffers (kept at their largest size) beyond what training uses.
  const gan::index_t grid_n = fixed_z.dim(0), z_dim = fixed_z.dim(1);
  const gan::index_t chunk = std::min<gan::index_t>(grid_n, c.batch);
  gan::Tensor<float> grid, z_chunk;
  std::vector<int> label_chunk;
  auto write_samples = [&](const std::string& name) {
    g.eval();
    for (gan::index_t i0 = 0; i0 < grid_n; i0 += chunk) {
      const gan::index_t nb = std::min(chunk, grid_n - i0);
      z_chunk.resize({nb, z_dim});
      std::copy_n(fixed_z.data() + i0 * z_dim, nb * z_dim, z_chunk.data());
      label_chunk.clear();
      if (g.conditional())
        label_chunk.assign(fixed_labels.begin() + i0, fixed_labels.begin() + i0 + nb);
      const gan::Tensor<float>& images = g.forward(z_chunk, label_chunk);
      const gan::index_t per_image = images.size() / nb;
      if (i0 == 0) grid.resize({grid_n, images.dim(1), images.dim(2), images.dim(3)});
      std::copy_n(images.data(), images.size(), grid.data() + i0 * per_image);
    }
    g.train();
    gan::write_png_grid((fs::path(c.out) / "samples" / name).string(), grid, 10);
  };
  const std::string latest = (fs::path(c.out) / "checkpoints" / "latest.safetensors").string();
  auto save = [&](const std::string& path) { gan::save_checkpoint(path, trainer, run_meta); };

  std::ofstream log((fs::path(c.out) / "log.csv").string(),
                    trainer.steps() > 0 ? std::ios::app : std::ios::trunc);
  if (trainer.steps() == 0) log << "step,epoch,d_loss,g_loss,d_real,d_fake,images_per_s\n";

  gan::Tensor<float> batch({c.batch, 1, data.height, data.width});
  std::vector<int> labels;
  std::vector<gan::index_t> order;
  std::int64_t order_epoch = -1;
  Progress progress(total, 50);
  double rate = 0;
  using clock = std::chrono::steady_clock;
  const auto started = clock::now();
  const std::int64_t first = trainer.steps();

  std::signal(SIGINT, on_interrupt);
  while (trainer.steps() < total) {
    const std::int64_t step = trainer.steps();
    const std::int64_t epoch = step / per_epoch;
    if (epoch != order_epoch) {
      permutation(order, n, c.seed, epoch);
      order_epoch = epoch;
    }
    labels.clear();
    const gan::index_t offset = (step % per_epoch) * c.batch;
    data.copy_batch(order, offset, batch);
    if (g.conditional())
      for (gan::index_t i = 0; i < c.batch; ++i)
        labels.push_back(
            data.labels[static_cast<std::size_t>(order[static_cast<std::size_t>(offset + i)])]);
    const auto t0 = clock::now();
    const gan::StepStats s = trainer.step(batch, labels);
    const double seconds = std::chrono::duration<double>(clock::now() - t0).count();
    const double now_rate = static_cast<double>(c.batch) / seconds;
    rate = rate == 0 ? now_rate : 0.9 * rate + 0.1 * now_rate;
    const std::int64_t done = trainer.steps();
    log << done << ',' << epoch + 1 << ',' << s.d_loss << ',' << s.g_loss << ',' << s.d_real << ','
        << s.d_fake << ',' << rate << '\n';
    const double elapsed = std::chrono::duration<double>(clock::now() - started).count();
    const double eta =
        elapsed / static_cast<double>(done - first) * static_cast<double>(total - done);
    progress.update(done, epoch + 1, c.epochs, s.d_loss, s.g_loss, s.d_real, s.d_fake, rate, eta);
    if (done % c.sample_every == 0) {
      write_samples(step_name(done));
      save(latest);
      log.flush();
    }
    if (interrupted) {
      progress.finish();
      save(latest);
      std::fprintf(stderr, "interrupted at step %lld: saved %s (continue with --resume %s)\n",
                   static_cast<long long>(done), latest.c_str(), latest.c_str());
      return 130;
    }
  }
  progress.finish();
  write_samples(step_name(trainer.steps()));
  write_samples("final.png");
  save(latest);
  save((fs::path(c.out) / "checkpoints" / "final.safetensors").string());
  const double elapsed = std::chrono::duration<double>(clock::now() - started).count();
  std::fprintf(
      stderr,
      "trained %lld steps in %.1f s; samples in %s/samples, final grid %s/samples/final.png\n",
      static_cast<long long>(trainer.steps() - first), elapsed, c.out.c_str(), c.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"mnist_gan: train a GAN on MNIST-format digits (docs/training.md)"};
  app.option_defaults()->always_capture_default();
  app.add_option("--data", c.data, "IDX images file or a folder holding one (Fashion-MNIST works)");
  app.add_option("--model", c.model, std::string("model: ") + zoo::model_names);
  app.add_option("--loss", c.loss, "bce | lsgan | hybrid");
  app.add_option("--lambda", c.lambda, "hybrid: weight of MSE(G(z), x)");
  app.add_flag("--conditional", c.conditional, "condition G and D on the digit's label");
  app.add_option("--epochs", c.epochs, "passes over the data");
  app.add_option("--batch", c.batch, "images per step");
  app.add_option("--lr", c.lr, "Adam learning rate of G and D");
  app.add_option("--d-steps", c.d_steps, "discriminator steps per generator step");
  app.add_option("--label-smoothing", c.label_smoothing, "one-sided: D's real target is 1 - this");
  app.add_option("--seed", c.seed, "seed of weights, noise and data order");
  app.add_option("--threads", c.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  app.add_option("--out", c.out, "output folder");
  app.add_option("--sample-every", c.sample_every, "steps between sample grids and checkpoints");
  app.add_option("--resume", c.resume, "checkpoint to continue from (its run options are kept)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "mnist_gan: error: %s\n", e.what());
    return 2;
  }

  try {
    if (!c.resume.empty()) {
      const auto file = gan::load_safetensors(c.resume);
      const auto& meta = file.metadata();
      const auto run = meta.find("gan.run");
      if (run == meta.end())
        throw gan::Error("checkpoint '" + c.resume + "' was not written by mnist_gan (no gan.run)");
      const Config given = c;
      adopt_saved_run(c, run->second, c.resume);
      refuse_conflicts(app, given, c);
    }
    validate(c);
    if (c.threads > 0) gan::set_num_threads(c.threads);
    const dataset::Dataset data = dataset::load(c.data);
    if (c.conditional && data.labels.empty())
      throw gan::Error("--conditional needs labels: no '*labels-idx1-ubyte*' beside " +
                       data.images_path);
    if (data.height != 28 || data.width != 28)
      throw gan::Error("data: the models are for 28x28 images, '" + data.images_path + "' has " +
                       std::to_string(data.height) + "x" + std::to_string(data.width));
    prepare_output(c.out);
    std::fprintf(
        stderr,
        "mnist_gan: %lld images from %s, model %s%s, loss %s, %d epochs of batch %d, %d threads\n",
        static_cast<long long>(data.count), data.images_path.c_str(), c.model.c_str(),
        c.conditional ? " (conditional)" : "", c.loss.c_str(), c.epochs, c.batch,
        gan::num_threads());
    return zoo::with_model(c.model, c.conditional ? 10 : 0, c.seed,
                           [&](auto& g, auto& d) { return train(g, d, c, data); });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mnist_gan: error: %s\n", e.what());
    return 2;
  }
}

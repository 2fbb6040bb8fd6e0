// gan_eval: scores generated 28x28 grey images with the library's sample-quality metrics
// (gan/eval/evaluator.hpp: FID, KID, precision/recall and class statistics on the
// evaluation classifier's features, each beside its real-vs-real floor) and prints a table,
// or JSON with --json. docs/eval.md explains every figure.
//
//   gan_eval --images grid.png                  a grid as gan::write_png_grid writes it
//   gan_eval --images samples/                  a folder of 28x28 PNGs (sorted by name)
//   gan_eval --images cond.png --labels columns conditional grid: column = asked-for class
//   gan_eval --images out/samples/step_001000.png --labels rows     gan_train's grid: row = class
//   gan_eval --checkpoint out/checkpoints/final.safetensors --n 2000   draws N samples
// Defaults: the bundled digits (data/mnist) as the real set and
// data/eval/digit_classifier.safetensors as the classifier; --real and --weights change
// them (e.g. Fashion-MNIST and weights trained on it by gan_train_classifier).
// Bad input (no such file, a folder without PNGs, images of another size, a grid of another
// layout, a checkpoint of another image shape) prints one line and exits with 2.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <gan/data/idx_dataset.hpp>
#include <gan/eval/evaluator.hpp>
#include <gan/io.hpp>
#include <gan/run/sampling.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/models.hpp"
#include "common/source_path.hpp"

namespace fs = std::filesystem;

namespace {

/// An 8-bit grey image, row-major.
struct GreyImage {
  gan::index_t width = 0, height = 0;
  std::vector<std::uint8_t> pixels;
};

/// A PNG as grey (colour converted to luma, gan/io/image.hpp), or gan::Error naming the file.
GreyImage read_grey_png(const std::string& path) {
  gan::ImageOptions options;
  options.channels = 1;
  gan::Image image;
  try {
    image = gan::read_image(path, options);
  } catch (const gan::ImageLimitError&) {
    throw;
  } catch (const gan::Error& e) {
    // e names the file already ("image: cannot decode 'x.png': ...").
    throw gan::Error("not a readable PNG image: " + std::string(e.what()));
  }
  GreyImage img;
  img.width = image.width;
  img.height = image.height;
  img.pixels = image.pixels;
  return img;
}

constexpr gan::index_t cell = 28, padding = 2;

struct Options {
  std::string images, checkpoint;
  int n = 2000;
  std::uint64_t seed = 1;
  std::string labels = "none";
  int count = 0;
  std::string weights, real;
  int reference_size = 0;
  std::uint64_t split_seed = 0;
  bool json = false;
  int threads = 0;
};

/// Images in [0, 1] with the grid column (or folder position) of each, for --labels.
struct Loaded {
  std::vector<float> pixels;  // [N, 28, 28]
  std::vector<int> columns;   // grid column, or -1 for images from a folder
  std::vector<int> rows;      // grid row, or -1
  std::string describe;
  gan::index_t count() const { return static_cast<gan::index_t>(pixels.size() / (cell * cell)); }
};

void append(Loaded& out, const GreyImage& img, gan::index_t top, gan::index_t left) {
  for (gan::index_t y = 0; y < cell; ++y)
    for (gan::index_t x = 0; x < cell; ++x)
      out.pixels.push_back(
          static_cast<float>(
              img.pixels[static_cast<std::size_t>((top + y) * img.width + left + x)]) /
          255.0f);
}

/// A single 28x28 image, or a grid of 28x28 cells separated and framed by 2 pixels (the
/// layout of gan::write_png_grid and torchvision's make_grid). Trailing cells of the last
/// row that are entirely black are the grid's padding, not images, and are dropped.
Loaded load_grid(const std::string& path) {
  const GreyImage img = read_grey_png(path);
  Loaded out;
  if (img.width == cell && img.height == cell) {
    append(out, img, 0, 0);
    out.columns.push_back(0);
    out.rows.push_back(0);
    out.describe = "1 image from '" + path + "'";
    return out;
  }
  const gan::index_t step = cell + padding;
  if (img.width < step + padding || img.height < step + padding ||
      (img.width - padding) % step != 0 || (img.height - padding) % step != 0)
    throw gan::Error("'" + path + "' is " + std::to_string(img.width) + "x" +
                     std::to_string(img.height) +
                     ": neither a 28x28 image nor a grid of 28x28 cells with padding 2 (the "
                     "layout gan::write_png_grid writes: width and height = 30 k + 2)");
  const gan::index_t cols = (img.width - padding) / step, rows = (img.height - padding) / step;
  for (gan::index_t r = 0; r < rows; ++r)
    for (gan::index_t c = 0; c < cols; ++c) {
      append(out, img, padding + r * step, padding + c * step);
      out.columns.push_back(static_cast<int>(c));
      out.rows.push_back(static_cast<int>(r));
    }
  const gan::index_t per = cell * cell;
  for (gan::index_t c = cols - 1; c >= 0 && out.count() > 1; --c) {
    const auto first = out.pixels.end() - per;
    if (!std::all_of(first, out.pixels.end(), [](float v) { return v == 0.0f; })) break;
    out.pixels.erase(first, out.pixels.end());
    out.columns.pop_back();
    out.rows.pop_back();
  }
  out.describe = std::to_string(out.count()) + " images from the " + std::to_string(rows) + "x" +
                 std::to_string(cols) + " grid '" + path + "'";
  return out;
}

bool is_png(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return ext == ".png";
}

/// Every *.png of a folder (not recursive), in name order; each must be 28x28.
Loaded load_folder(const std::string& folder) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec))
    if (e.is_regular_file(ec) && is_png(e.path())) files.push_back(e.path());
  if (ec) throw gan::Error("cannot read folder '" + folder + "': " + ec.message());
  if (files.empty()) throw gan::Error("folder '" + folder + "' holds no .png files");
  std::sort(files.begin(), files.end());
  Loaded out;
  for (const auto& f : files) {
    const GreyImage img = read_grey_png(f.string());
    if (img.width != cell || img.height != cell)
      throw gan::Error("'" + f.string() + "' is " + std::to_string(img.width) + "x" +
                       std::to_string(img.height) + ", expected 28x28 (the classifier's size)");
    append(out, img, 0, 0);
    out.columns.push_back(-1);
    out.rows.push_back(-1);
  }
  out.describe = std::to_string(out.count()) + " images from folder '" + folder + "'";
  return out;
}

/// The asked-for labels: none, "columns" (a grid with one class per column, as gan_sample
/// writes a conditional model's), "rows" (one class per row, as gan_train's sample grids),
/// "cycle" (image i asked for class i mod C, as gan_sample's folders), or one class for all.
std::vector<int> make_labels(const std::string& mode, const Loaded& images, gan::index_t n,
                             gan::index_t classes) {
  std::vector<int> labels;
  if (mode == "none") return labels;
  const bool by_column = mode == "columns", by_row = mode == "rows";
  const int single =
      by_column || by_row || mode == "cycle"
          ? -1
          : static_cast<int>(gan::models::parse_integer(mode, 0, classes - 1, "--labels"));
  for (gan::index_t i = 0; i < n; ++i) {
    if (by_column || by_row) {
      const int c = (by_column ? images.columns : images.rows)[static_cast<std::size_t>(i)];
      if (c < 0) throw gan::Error("--labels " + mode + " needs a grid, not a folder of images");
      if (c >= classes)
        throw gan::Error("--labels " + mode + ": the grid has a " +
                         (by_column ? "column " : "row ") + std::to_string(c) +
                         ", but the classifier knows " + std::to_string(classes) + " classes");
      labels.push_back(c);
    } else {
      labels.push_back(single >= 0 ? single : static_cast<int>(i % classes));
    }
  }
  return labels;
}

/// N samples of a gan_train checkpoint's generator in [0, 1]; conditional models are asked
/// for class i mod C (labels).
gan::Tensor<float> draw(const Options& o, std::vector<int>& labels, std::string& describe) {
  const gan::SafetensorsFile file = gan::load_safetensors(o.checkpoint);
  const gan::models::ModelSpec spec =
      gan::models::spec_from_identity(file.metadata(), o.checkpoint);
  if (spec.channels != 1 || spec.image_size != cell)
    throw gan::Error("checkpoint '" + o.checkpoint + "' makes " + spec.describe() +
                     " images; the evaluation classifier reads 1x28x28");
  gan::models::Model m = programs::models().make(spec);
  gan::AnyGenerator<float>& g = *m.generator;
  // The EMA generator when the run kept one (gan_train --ema), as gan_sample draws.
  const bool ema = gan::has_generator(file, "generator_ema.");
  gan::load_generator(file, g, ema ? "generator_ema." : "generator.");
  g.eval();
  gan::Rng rng(o.seed);
  gan::Tensor<float> z, images;
  g.sample_noise(z, o.n, rng);
  labels.clear();
  for (gan::index_t i = 0; i < o.n && g.classes() > 0; ++i)
    labels.push_back(static_cast<int>(i % g.classes()));
  gan::run::generate(g, z, labels, 256, images);
  gan::run::to_unit(images, m.range);
  // A Sigmoid's output is in (0, 1) already; Tanh's mapped one may round a hair outside.
  for (float& v : images) v = std::clamp(v, 0.0f, 1.0f);
  describe = std::to_string(o.n) + " samples (seed " + std::to_string(o.seed) + ") of " +
             spec.describe() + (ema ? " (EMA generator)" : "") + " from '" + o.checkpoint + "'";
  return images;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.weights = source_path("data/eval/digit_classifier.safetensors");
  o.real = source_path("data/mnist");
  CLI::App app{"gan_eval: score generated 28x28 images against real ones (docs/eval.md)"};
  app.option_defaults()->always_capture_default();
  auto* images = app.add_option("--images", o.images, "a PNG grid or image, or a folder of PNGs");
  auto* checkpoint =
      app.add_option("--checkpoint", o.checkpoint, "a gan_train checkpoint to draw samples from");
  images->excludes(checkpoint);
  app.add_option("--n", o.n, "with --checkpoint: samples to draw");
  app.add_option("--seed", o.seed, "with --checkpoint: seed of the noise");
  app.add_option("--labels", o.labels,
                 "asked-for classes: none | columns (grid column) | rows (grid row) | cycle (i "
                 "mod classes) | a class number; a conditional --checkpoint: cycle");
  app.add_option("--count", o.count, "score only the first N images (0: all)");
  app.add_option("--weights", o.weights, "classifier weights (gan_train_classifier)");
  app.add_option("--real", o.real, "real images: an IDX file or a folder holding one");
  app.add_option("--reference-size", o.reference_size,
                 "real images compared with (0: min(5000, half the real set))");
  app.add_option("--split-seed", o.split_seed, "seed of the split into reference and floor");
  app.add_flag("--json", o.json, "print JSON instead of a table");
  app.add_option("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "gan_eval: error: %s\n", e.what());
    return 2;
  }
  try {
    if (o.images.empty() && o.checkpoint.empty())
      throw gan::Error("give --images (a PNG grid or folder) or --checkpoint");
    if (o.n < 1) throw gan::Error("--n must be >= 1, got " + std::to_string(o.n));
    if (o.count < 0 || o.threads < 0 || o.reference_size < 0)
      throw gan::Error("--count, --threads and --reference-size must be >= 0");
    if (o.threads > 0) gan::set_num_threads(o.threads);

    gan::Tensor<float> batch;
    std::vector<int> labels;
    std::string describe;
    gan::eval::EvaluatorOptions eo;
    eo.reference_size = o.reference_size;
    eo.seed = o.split_seed;
    if (!o.images.empty()) {
      std::error_code ec;
      if (!fs::exists(o.images, ec)) throw gan::Error("'" + o.images + "' does not exist");
      Loaded loaded = fs::is_directory(o.images, ec) ? load_folder(o.images) : load_grid(o.images);
      gan::index_t n = loaded.count();
      if (o.count > 0) {
        if (o.count > n)
          throw gan::Error("--count " + std::to_string(o.count) + " exceeds the " +
                           std::to_string(n) + " images of '" + o.images + "'");
        n = o.count;
      }
      batch.resize({n, 1, cell, cell});
      std::copy_n(loaded.pixels.data(), n * cell * cell, batch.data());
      gan::eval::Classifier<float> probe;
      probe.load(o.weights);  // the class count, before the real set's features are made
      labels = make_labels(o.labels, loaded, n, probe.classes());
      describe = loaded.describe + (o.count > 0 ? ", the first " + std::to_string(n) : "");
    } else {
      if (o.labels != "none" && o.labels != "cycle")
        throw gan::Error(
            "--checkpoint draws class i mod C for a conditional model; --labels "
            "takes no other value with it");
      if (o.count > 0) throw gan::Error("--count is for --images; use --n with --checkpoint");
      batch = draw(o, labels, describe);
    }
    const gan::data::ImageSet real = gan::data::load_idx_dataset(o.real);
    gan::eval::Evaluator ev(o.weights, real, eo);
    const gan::eval::Scores s = ev.score(batch, labels);
    if (o.json) {
      nlohmann::json j = s;
      j["source"] = describe;
      j["weights"] = o.weights;
      j["real"] = real.describe();
      j["threads"] = gan::num_threads();
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("gan_eval: %s\nreal: %s; classifier: %s; %d threads\n%s", describe.c_str(),
                  real.describe().c_str(), o.weights.c_str(), gan::num_threads(),
                  s.table().c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_eval: error: %s\n", e.what());
    return 2;
  }
}

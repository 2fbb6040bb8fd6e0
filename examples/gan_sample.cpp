// gan_sample: draws images from a checkpoint written by gan_train (or mnist_gan before it).
//
//   gan_sample --checkpoint out/checkpoints/final.safetensors --out grid.png
//   gan_sample --checkpoint cond.safetensors --class 3 --n 16 --out threes.png
//   gan_sample --checkpoint final.safetensors --out singles/     (one PNG per image)
//   gan_sample --checkpoint final.safetensors --interpolate 10 --out walk.png
// An --out ending in .png gets a grid; anything else is a folder of sample_NNNNNN.png.
// A checkpoint of a run with --ema is drawn from the moving average (--raw: the trained G).
// --interpolate K draws --n / K... rows of K images each, walking from one noise vector to
// another along the great circle (slerp, White 2016), so a row shows what lies between two
// samples. Bad input prints one line and exits with 2.

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <gan/io.hpp>
#include <gan/run/interpolate.hpp>
#include <gan/run/sampling.hpp>
#include <nlohmann/json.hpp>

#include "common/models.hpp"

namespace fs = std::filesystem;

namespace {

struct Options {
  std::string checkpoint;
  int n = 64;
  std::uint64_t seed = 1;
  std::string class_name;  // --class: a class name or number
  int interpolate = 0;
  std::string out = "samples.png";
  bool raw = false;  // the trained generator rather than its moving average
};

/// Grids hold at most this many images (a 4096-image grid of 64x64 RGB is already 50 MB of
/// pixels); folders take any number, written a chunk at a time.
constexpr int max_grid = 4096;
constexpr gan::index_t chunk = 64;

bool ends_with_png(const std::string& s) {
  return s.size() >= 4 && s.compare(s.size() - 4, 4, ".png") == 0;
}

/// The class index --class names: a class name from the checkpoint, or its number.
int class_index(const std::string& wanted, const std::vector<std::string>& names,
                gan::index_t classes) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == wanted) return static_cast<int>(i);
  const auto c = gan::models::parse_integer(wanted, 0, classes - 1, "--class");
  return static_cast<int>(c);
}

std::vector<std::string> class_names(const gan::SafetensorsFile& f) {
  const auto it = f.metadata().find("gan.class_names");
  if (it == f.metadata().end()) return {};
  try {
    return nlohmann::json::parse(it->second).get<std::vector<std::string>>();
  } catch (const std::exception&) {
    throw gan::Error("checkpoint '" + f.path() + "': gan.class_names is not a list of names");
  }
}

int sample(const Options& o) {
  const gan::SafetensorsFile file = gan::load_safetensors(o.checkpoint);
  gan::models::ModelSpec spec = gan::models::spec_from_identity(file.metadata(), o.checkpoint);
  gan::models::Model m = programs::models().make(spec);
  gan::AnyGenerator<float>& g = *m.generator;
  const bool ema = !o.raw && gan::has_generator(file, "generator_ema.");
  gan::load_generator(file, g, ema ? "generator_ema." : "generator.");
  g.eval();
  const gan::index_t classes = g.classes();
  const auto names = class_names(file);
  if (!o.class_name.empty() && classes == 0)
    throw gan::Error("--class needs a conditional model; '" + o.checkpoint + "' is unconditional");
  const int wanted = o.class_name.empty() ? -1 : class_index(o.class_name, names, classes);

  gan::Rng rng(o.seed);
  gan::Tensor<float> z;
  int cols = 0;
  if (o.interpolate > 0) {
    const int rows = std::max(1, o.n / o.interpolate);
    gan::run::interpolation_noise(g, rows, o.interpolate, rng, z);
    cols = o.interpolate;
  } else {
    g.sample_noise(z, o.n, rng);
    cols = classes > 0 && wanted < 0 && classes <= 20 ? static_cast<int>(classes) : 0;
  }
  const gan::index_t n = z.dim(0);
  std::vector<int> labels;
  for (gan::index_t i = 0; i < n && classes > 0; ++i)
    labels.push_back(
        wanted >= 0
            ? wanted
            : static_cast<int>(o.interpolate > 0 ? (i / o.interpolate) % classes : i % classes));
  if (ends_with_png(o.out)) {
    if (n > max_grid)
      throw gan::Error("--n " + std::to_string(n) + " is too many for one grid (at most " +
                       std::to_string(max_grid) + "); give a folder as --out for more");
    gan::Tensor<float> images;
    gan::run::generate(g, z, labels, chunk, images);
    gan::run::to_unit(images, m.range);
    gan::write_png_grid(o.out, images, cols);
    std::printf("wrote %lld samples to %s\n", static_cast<long long>(n), o.out.c_str());
    return 0;
  }
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) throw gan::Error("cannot create output folder '" + o.out + "': " + ec.message());
  gan::Tensor<float> z_part, images, one;
  std::vector<int> label_part;
  for (gan::index_t i0 = 0; i0 < n; i0 += chunk) {
    const gan::index_t nb = std::min(chunk, n - i0);
    z_part.resize({nb, z.dim(1)});
    std::copy_n(z.data() + i0 * z.dim(1), nb * z.dim(1), z_part.data());
    label_part.assign(labels.begin() + (labels.empty() ? 0 : i0),
                      labels.begin() + (labels.empty() ? 0 : i0 + nb));
    gan::run::generate(g, z_part, label_part, chunk, images);
    gan::run::to_unit(images, m.range);
    const gan::index_t per = images.shape().per_sample();
    one.resize({1, images.dim(1), images.dim(2), images.dim(3)});
    for (gan::index_t i = 0; i < nb; ++i) {
      std::copy_n(images.data() + i * per, per, one.data());
      char name[32];
      std::snprintf(name, sizeof name, "sample_%06lld.png", static_cast<long long>(i0 + i));
      gan::write_png_grid((fs::path(o.out) / name).string(), one, 1, 0);
    }
  }
  std::printf("wrote %lld samples to %s/\n", static_cast<long long>(n), o.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"gan_sample: draw images from a gan_train checkpoint"};
  app.option_defaults()->always_capture_default();
  app.add_option("--checkpoint", o.checkpoint, "a .safetensors checkpoint of gan_train")
      ->required();
  app.add_option("--n", o.n, "number of images");
  app.add_option("--seed", o.seed, "seed of the noise");
  app.add_option(
      "--class,--digit", o.class_name,
      "class to draw, by name or number (conditional models); default: all, one per column");
  app.add_option("--interpolate", o.interpolate,
                 "K > 0: rows of K images between two noise vectors (slerp)");
  app.add_option("--out", o.out, "a .png grid, or a folder for one PNG per image");
  app.add_flag("--raw", o.raw,
               "draw from the trained generator, not its moving average (runs with --ema)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "gan_sample: error: %s\n", e.what());
    return 2;
  }
  try {
    if (o.n < 1) throw gan::Error("--n must be >= 1, got " + std::to_string(o.n));
    if (o.interpolate < 0 || o.interpolate == 1 || o.interpolate > 1000)
      throw gan::Error("--interpolate must be 0 (off) or in [2, 1000], got " +
                       std::to_string(o.interpolate));
    return sample(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_sample: error: %s\n", e.what());
    return 2;
  }
}

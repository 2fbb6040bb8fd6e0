// gan_sample: draws images from a checkpoint written by mnist_gan.
//
//   gan_sample --checkpoint out/checkpoints/final.safetensors --out grid.png
//   gan_sample --checkpoint cond.safetensors --digit 3 --n 16 --out threes.png
//   gan_sample --checkpoint final.safetensors --out singles/     (one PNG per image)
// An --out ending in .png gets a grid; anything else is a folder of sample_NNN.png.
// Bad input prints one line and exits with 2.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <gan/gan.hpp>
#include <gan/io.hpp>

#include "model_zoo.hpp"

namespace fs = std::filesystem;

namespace {

struct Options {
  std::string checkpoint;
  int n = 64;
  std::uint64_t seed = 1;
  int digit = -1;
  std::string out = "samples.png";
};

std::string meta(const std::map<std::string, std::string>& m, const std::string& key,
                 const std::string& path) {
  const auto it = m.find(key);
  if (it == m.end())
    throw gan::Error("checkpoint '" + path + "' was not written by mnist_gan (no " + key + ")");
  return it->second;
}

bool ends_with_png(const std::string& s) {
  return s.size() >= 4 && s.compare(s.size() - 4, 4, ".png") == 0;
}

template <class G>
int sample(G& g, const Options& o, const gan::SafetensorsFile& file) {
  gan::load_generator(file, g);
  g.eval();
  gan::Rng rng(o.seed);
  gan::Tensor<float> z;
  g.sample_noise(z, o.n, rng);
  std::vector<int> labels;
  if (g.conditional())
    for (int i = 0; i < o.n; ++i) labels.push_back(o.digit >= 0 ? o.digit : i % 10);
  const gan::Tensor<float>& images = g.forward(z, labels);

  if (ends_with_png(o.out)) {
    gan::write_png_grid(o.out, images, g.conditional() && o.digit < 0 ? 10 : 0);
    std::printf("wrote %d samples to %s\n", o.n, o.out.c_str());
    return 0;
  }
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) throw gan::Error("cannot create output folder '" + o.out + "': " + ec.message());
  const gan::index_t per = images.shape().per_sample();
  gan::Tensor<float> one({1, images.dim(1), images.dim(2), images.dim(3)});
  for (int i = 0; i < o.n; ++i) {
    std::copy_n(images.data() + i * per, per, one.data());
    char name[32];
    std::snprintf(name, sizeof name, "sample_%03d.png", i);
    gan::write_png_grid((fs::path(o.out) / name).string(), one, 1, 0);
  }
  std::printf("wrote %d samples to %s/\n", o.n, o.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"gan_sample: draw images from a mnist_gan checkpoint"};
  app.option_defaults()->always_capture_default();
  app.add_option("--checkpoint", o.checkpoint, "a .safetensors checkpoint of mnist_gan")
      ->required();
  app.add_option("--n", o.n, "number of images");
  app.add_option("--seed", o.seed, "seed of the noise");
  app.add_option("--digit", o.digit,
                 "class to draw (conditional models); default: all, one per column");
  app.add_option("--out", o.out, "a .png grid, or a folder for one PNG per image");
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
    const gan::SafetensorsFile file = gan::load_safetensors(o.checkpoint);
    const auto& m = file.metadata();
    const std::string model = meta(m, "gan.model", o.checkpoint);
    const std::string classes_text = meta(m, "gan.classes", o.checkpoint);
    if (classes_text != "0" && classes_text != "10")
      throw gan::Error("checkpoint '" + o.checkpoint + "': gan.classes is '" + classes_text +
                       "', expected 0 or 10");
    const int classes = classes_text == "10" ? 10 : 0;
    if (o.digit >= 0 && classes == 0)
      throw gan::Error("--digit needs a conditional model; '" + o.checkpoint +
                       "' is unconditional");
    if (o.digit >= classes && classes > 0)
      throw gan::Error("--digit must be in [0, " + std::to_string(classes) + "), got " +
                       std::to_string(o.digit));
    return zoo::with_model(model, classes, 0, [&](auto& g, auto&) { return sample(g, o, file); });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_sample: error: %s\n", e.what());
    return 2;
  }
}

// Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/) from real files: the
// first MNIST digits and labels of data/mnist (raw and gzip'd IDX, and a digit as PNG, BMP,
// TGA and JPEG) and real checkpoints of the small GAN of tiny_model.hpp after a few
// training steps. The seeds are committed;
// rerun this (scripts/fuzz.sh --seeds) after a change of the formats.
//   make_seeds <source dir> <corpus dir>

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fuzz/tiny_model.hpp"
#include "gan/io/checkpoint.hpp"
#include "gan/io/idx.hpp"
#include "gan/io/png.hpp"
#include "gan/io/safetensors.hpp"
#include "gan/models/trainer.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

namespace {

Bytes idx_bytes(const std::vector<std::uint32_t>& dims, const std::uint8_t* payload) {
  Bytes b = {0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  std::size_t count = 1;
  for (std::uint32_t d : dims) {
    count *= d;
    for (int shift = 24; shift >= 0; shift -= 8)
      b.push_back(static_cast<unsigned char>(d >> shift));
  }
  b.insert(b.end(), payload, payload + count);
  return b;
}

void write(const fs::path& path, const Bytes& b) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!out) throw gan::Error("make_seeds: cannot write " + path.string());
}

Bytes read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_gz(const fs::path& path, const Bytes& b) {
  fs::create_directories(path.parent_path());
  gzFile f = gzopen(path.string().c_str(), "wb9");
  if (f == nullptr ||
      gzwrite(f, b.data(), static_cast<unsigned>(b.size())) != static_cast<int>(b.size()) ||
      gzclose(f) != Z_OK)
    throw gan::Error("make_seeds: cannot write " + path.string());
}

// stb_image_write's callback (png.hpp compiles stb_image_write without stdio).
void append(void* context, void* data, int size) {
  auto* out = static_cast<Bytes*>(context);
  const auto* p = static_cast<const unsigned char*>(data);
  out->insert(out->end(), p, p + size);
}

// fuzz_idx_gzip's input: one byte of how much to cut off the compressed stream, then IDX.
Bytes gzip_seed(unsigned char cut, const Bytes& idx) {
  Bytes b = {cut};
  b.insert(b.end(), idx.begin(), idx.end());
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_seeds <source dir> <corpus dir>\n";
    return 2;
  }
  const fs::path source = argv[1], corpus = argv[2];
  const gan::IdxFile images =
      gan::read_idx((source / "data/mnist/mnist-10k-images-idx3-ubyte.gz").string());
  const gan::IdxFile labels =
      gan::read_idx((source / "data/mnist/mnist-10k-labels-idx1-ubyte.gz").string());

  // Two digits (1,584 bytes) and eight labels: real headers and real pixel statistics.
  const Bytes two_digits = idx_bytes({2, 28, 28}, images.bytes.data());
  const Bytes eight_labels = idx_bytes({8}, labels.bytes.data());
  const Bytes one_row = idx_bytes({1, 28}, images.bytes.data() + 28 * 14);  // rank 2
  write(corpus / "idx/mnist-2-images.idx", two_digits);
  write(corpus / "idx/mnist-8-labels.idx", eight_labels);
  write(corpus / "idx/mnist-row-rank2.idx", one_row);
  write_gz(corpus / "idx/mnist-2-images.idx.gz", two_digits);
  write_gz(corpus / "idx/mnist-8-labels.idx.gz", eight_labels);
  write(corpus / "idx_gzip/mnist-2-images", gzip_seed(0, two_digits));
  write(corpus / "idx_gzip/mnist-8-labels", gzip_seed(0, eight_labels));
  write(corpus / "idx_gzip/mnist-8-labels-cut-trailer", gzip_seed(4, eight_labels));

  // Images for fuzz_image: a real digit as grey, RGB and RGBA PNG, BMP, TGA and JPEG.
  const int side = 28;
  std::vector<unsigned char> grey(images.bytes.begin(), images.bytes.begin() + side * side);
  std::vector<unsigned char> rgb, rgba;
  for (int i = 0; i < side * side; ++i) {
    const unsigned char v = grey[static_cast<std::size_t>(i)];
    rgb.insert(rgb.end(), {v, static_cast<unsigned char>(255 - v), static_cast<unsigned char>(i)});
    rgba.insert(rgba.end(),
                {v, v, static_cast<unsigned char>(v / 2), static_cast<unsigned char>(i % 256)});
  }
  const auto image = [&](const char* name, auto&& encode) {
    Bytes b;
    if (encode(&b) == 0) throw gan::Error(std::string("make_seeds: stb cannot write ") + name);
    write(corpus / "image" / name, b);
  };
  image("digit-grey.png", [&](Bytes* b) {
    return stbi_write_png_to_func(append, b, side, side, 1, grey.data(), side);
  });
  image("digit-rgb.png", [&](Bytes* b) {
    return stbi_write_png_to_func(append, b, side, side, 3, rgb.data(), 3 * side);
  });
  image("digit-rgba.png", [&](Bytes* b) {
    return stbi_write_png_to_func(append, b, side, side, 4, rgba.data(), 4 * side);
  });
  image("digit-rgb.bmp",
        [&](Bytes* b) { return stbi_write_bmp_to_func(append, b, side, side, 3, rgb.data()); });
  image("digit-rgba.tga",
        [&](Bytes* b) { return stbi_write_tga_to_func(append, b, side, side, 4, rgba.data()); });
  image("digit-grey.jpg", [&](Bytes* b) {
    return stbi_write_jpg_to_func(append, b, side, side, 1, grey.data(), 90);
  });
  image("digit-rgb.jpg",
        [&](Bytes* b) { return stbi_write_jpg_to_func(append, b, side, side, 3, rgb.data(), 75); });

  // Real checkpoints of the small GAN: fresh, and after three training steps.
  auto g = gan_fuzz::tiny_generator();
  auto d = gan_fuzz::tiny_discriminator();
  gan::TrainerOptions options;
  options.seed = 7;
  gan::Trainer trainer(g, d, options);
  const fs::path tmp = fs::temp_directory_path() / "gan_make_seeds.safetensors";
  const std::map<std::string, std::string> extra = {{"gan.model", "tiny"}, {"gan.classes", "2"}};
  gan::save_checkpoint(tmp.string(), trainer, extra);
  write(corpus / "checkpoint/tiny-step0.safetensors", read(tmp));
  gan::Tensor<float> batch({4, 1, 4, 4});
  for (int s = 0; s < 3; ++s) {
    gan::Rng rng(100 + static_cast<std::uint64_t>(s));
    rng.fill_uniform(batch);
    trainer.step(batch, {0, 1, 1, 0});
  }
  gan::save_checkpoint(tmp.string(), trainer, extra);
  const Bytes checkpoint = read(tmp);
  write(corpus / "checkpoint/tiny-step3.safetensors", checkpoint);
  write(corpus / "safetensors/tiny-step3.safetensors", checkpoint);

  // Double precision, an empty tensor, a scalar and an integer tensor (as PyTorch's
  // BatchNorm num_batches_tracked), which load but cannot be copied.
  gan::Tensor<double> w({2, 3}), e({0, 2}), s(gan::Shape{});
  for (gan::index_t i = 0; i < w.size(); ++i) w[i] = 0.25 * static_cast<double>(i) - 0.5;
  s[0] = 3.0;
  gan::save_safetensors<double>(tmp.string(), {{"w", &w}, {"empty", &e}, {"scalar", &s}},
                                {{"note", "f64"}});
  write(corpus / "safetensors/f64.safetensors", read(tmp));
  const std::string header =
      R"({"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"__metadata__":{"k":"v"}})";
  Bytes ints(8, 0);
  ints[0] = static_cast<unsigned char>(header.size());
  ints.insert(ints.end(), header.begin(), header.end());
  ints.insert(ints.end(), {5, 0, 0, 0, 0, 0, 0, 0});
  write(corpus / "safetensors/i64.safetensors", ints);
  fs::remove(tmp);
  std::cout << "seeds written to " << corpus.string() << "\n";
  return 0;
}

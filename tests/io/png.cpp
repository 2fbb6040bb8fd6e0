#include "gan/io/png.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include "support.hpp"

// The decoder is for checking only: a private copy in this file.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace fs = std::filesystem;

namespace {

using test_support::TempDir;

struct Decoded {
  int width = 0, height = 0, channels = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> pixels{nullptr, stbi_image_free};
  int at(int y, int x, int c = 0) const { return pixels.get()[(y * width + x) * channels + c]; }
};

Decoded decode(const std::string& path) {
  Decoded d;
  d.pixels.reset(stbi_load(path.c_str(), &d.width, &d.height, &d.channels, 0));
  REQUIRE(d.pixels != nullptr);
  return d;
}

// torchvision.utils.save_image's conversion: mul(255).add(0.5).clamp(0, 255), truncated.
int expected_byte(double v) {
  return static_cast<int>(std::floor(std::clamp(v * 255 + 0.5, 0.0, 255.0)));
}

}  // namespace

TEMPLATE_TEST_CASE("write_png_grid lays out grey images like make_grid", "[io][png]", float,
                   double) {
  TempDir dir("gan_io_png");
  // 5 images of 3 x 4 in 3 columns: 2 rows, the last cell empty.
  gan::Tensor<TestType> images({5, 1, 3, 4});
  for (gan::index_t k = 0; k < 5; ++k)
    for (gan::index_t y = 0; y < 3; ++y)
      for (gan::index_t x = 0; x < 4; ++x)
        images(k, 0, y, x) = static_cast<TestType>(k * 12 + y * 4 + x) / TestType(64);
  const std::string path = dir / "grid.png";
  gan::write_png_grid(path, images, 3, 2, 0.5f);

  const Decoded png = decode(path);
  REQUIRE(png.channels == 1);
  REQUIRE(png.height == 2 * (3 + 2) + 2);
  REQUIRE(png.width == 3 * (4 + 2) + 2);
  const int pad = expected_byte(0.5);
  REQUIRE(pad == 128);
  int cells = 0, padding = 0;
  for (int y = 0; y < png.height; ++y)
    for (int x = 0; x < png.width; ++x) {
      // Cell (row, col) covers rows row * 5 + 2 .. + 2 and columns col * 6 + 2 .. + 3.
      const int row = (y - 2) / 5, col = (x - 2) / 6, iy = (y - 2) % 5, ix = (x - 2) % 6;
      const int k = row * 3 + col;
      if (y >= 2 && x >= 2 && iy < 3 && ix < 4 && k < 5) {
        REQUIRE(png.at(y, x) == expected_byte(static_cast<double>(k * 12 + iy * 4 + ix) / 64));
        ++cells;
      } else {
        REQUIRE(png.at(y, x) == pad);
        ++padding;
      }
    }
  REQUIRE(cells == 5 * 3 * 4);
  REQUIRE(padding == png.width * png.height - cells);
}

TEST_CASE("write_png_grid writes RGB interleaved and a near-square grid by default", "[io][png]") {
  TempDir dir("gan_io_png");
  gan::Tensor<float> images({2, 3, 2, 2});
  for (gan::index_t k = 0; k < 2; ++k)
    for (gan::index_t c = 0; c < 3; ++c)
      for (gan::index_t i = 0; i < 4; ++i)
        // A quarter step above a byte value, so rounding is not in question.
        images[(k * 3 + c) * 4 + i] = static_cast<float>(40 * c + 80 * k + 5 * i + 0.25) / 255.0f;
  const std::string path = dir / "rgb.png";
  gan::write_png_grid(path, images, 0, 1);
  const Decoded png = decode(path);
  REQUIRE(png.channels == 3);
  REQUIRE(png.width == 2 * 3 + 1);  // ceil(sqrt(2)) = 2 columns
  REQUIRE(png.height == 1 * 3 + 1);
  for (int k = 0; k < 2; ++k)
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 4; ++i) {
        const int y = 1 + i / 2, x = 1 + k * 3 + i % 2;
        REQUIRE(png.at(y, x, c) == 40 * c + 80 * k + 5 * i);
      }
  REQUIRE(png.at(0, 0, 0) == 0);  // make_grid's default pad_value

  gan::Tensor<float> ten({10, 1, 5, 5});
  gan::write_png_grid(dir / "ten.png", ten);
  const Decoded grid = decode(dir / "ten.png");
  REQUIRE(grid.width == 4 * 7 + 2);  // ceil(sqrt(10)) = 4 columns, 3 rows, padding 2
  REQUIRE(grid.height == 3 * 7 + 2);
}

TEST_CASE("write_png_grid clamps to [0, 1] and stores NaN as 0", "[io][png]") {
  TempDir dir("gan_io_png");
  gan::Tensor<float> image({1, 1, 1, 4});
  image[0] = -0.5f;
  image[1] = 1.5f;
  image[2] = std::numeric_limits<float>::quiet_NaN();
  image[3] = 1.0f / 255.0f;
  gan::write_png(dir / "clamp.png", image);
  const Decoded png = decode(dir / "clamp.png");
  REQUIRE(png.width == 4);
  REQUIRE(png.height == 1);
  REQUIRE(png.at(0, 0) == 0);
  REQUIRE(png.at(0, 1) == 255);
  REQUIRE(png.at(0, 2) == 0);
  REQUIRE(png.at(0, 3) == 1);
}

TEST_CASE("write_png takes [C, H, W] and replaces an existing file", "[io][png]") {
  TempDir dir("gan_io_png");
  gan::Tensor<double> image({3, 2, 5});
  image.fill(1.0);
  const std::string path = dir / "one.png";
  gan::write_png(path, image);
  gan::Tensor<double> grey({1, 4, 3});
  gan::write_png(path, grey);
  const Decoded png = decode(path);
  REQUIRE(png.channels == 1);
  REQUIRE(png.width == 3);
  REQUIRE(png.height == 4);
  REQUIRE(png.at(3, 2) == 0);
  // Only the image remains: the temporary file was renamed, not left behind.
  REQUIRE(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("write_png_grid refuses bad shapes and unwritable paths", "[io][png]") {
  TempDir dir("gan_io_png");
  gan::Tensor<float> two_channels({4, 2, 8, 8});
  REQUIRE_THROWS_WITH(gan::write_png_grid(dir / "x.png", two_channels),
                      Catch::Contains("[N, 1 or 3, H, W]") && Catch::Contains("[4, 2, 8, 8]"));
  gan::Tensor<float> flat({4, 64});
  REQUIRE_THROWS_WITH(gan::write_png_grid(dir / "x.png", flat), Catch::Contains("[4, 64]"));
  gan::Tensor<float> batch({2, 1, 3, 3});
  REQUIRE_THROWS_WITH(gan::write_png(dir / "x.png", batch), Catch::Contains("[2, 1, 3, 3]"));
  REQUIRE_THROWS_WITH(gan::write_png_grid(dir / "x.png", batch, -1), Catch::Contains("cols = -1"));

  const std::string missing = dir / "no/such/folder/grid.png";
  REQUIRE_THROWS_WITH(gan::write_png_grid(missing, batch),
                      Catch::Contains("png: cannot write '" + missing + "'") &&
                          Catch::Contains("No such file or directory"));

  // A folder in the way: the rename fails, the folder stays, no temporary file remains.
  fs::create_directories(dir.path / "taken.png" / "inside");
  REQUIRE_THROWS_WITH(gan::write_png_grid(dir / "taken.png", batch), Catch::Contains("taken.png'"));
  REQUIRE(fs::is_directory(dir.path / "taken.png" / "inside"));
  REQUIRE(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

#include "gan/io/image.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gan/io/png.hpp"  // its stb_image_write makes our fixtures
#include "io/image_fixtures.hpp"

namespace fs = std::filesystem;
using gan::Alpha;
using gan::Image;
using gan::ImageOptions;
using namespace image_fixtures;

namespace {

Image decode(const std::vector<std::uint8_t>& bytes, const ImageOptions& o = {}) {
  return gan::decode_image(bytes, "fixture", o);
}

ImageOptions grey() {
  ImageOptions o;
  o.channels = 1;
  return o;
}

// A 2 x 2 GIF, palette red, green, blue, white; frame 1 is pixels 0 1 / 2 3, frame 2 is
// 3 2 / 1 0. LZW codes of 3 bits, a clear code before each pixel (so no table growth).
const std::vector<std::uint8_t> two_frame_gif = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x02, 0x00, 0x02, 0x00, 0x81, 0x00, 0x00, 0xff, 0x00,
    0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x02, 0x00, 0x00, 0x02, 0x04, 0x04, 0x43, 0x71, 0x05, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x02, 0x04, 0x1c, 0xc5, 0x10, 0x05, 0x00, 0x3b};

}  // namespace

TEST_CASE("image: an RGB PNG decodes to its pixels, planar", "[io]") {
  // 3 wide, 2 high; pixel (y, x) = (10 y + x, 100 + 10 y + x, 200 + 10 y + x).
  std::vector<std::uint8_t> rgb;
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c) rgb.push_back(static_cast<std::uint8_t>(100 * c + 10 * y + x));
  const Image im = decode(encode(Format::png, rgb, 3, 2, 3));
  REQUIRE(im.channels == 3);
  REQUIRE(im.height == 2);
  REQUIRE(im.width == 3);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) CHECK(int(im.at(c, y, x)) == 100 * c + 10 * y + x);
  // Plane c starts at c * H * W.
  CHECK(int(im.pixels[6]) == 100);
}

TEST_CASE("image: grey and colour convert both ways with PIL's luma", "[io]") {
  const std::vector<std::uint8_t> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
  const Image g = decode(encode(Format::png, rgb, 4, 1, 3), grey());
  REQUIRE(g.channels == 1);
  // PIL's convert("L"): (19595 R + 38470 G + 7471 B + 2^15) >> 16.
  CHECK(int(g.at(0, 0, 0)) == 76);
  CHECK(int(g.at(0, 0, 1)) == 150);
  CHECK(int(g.at(0, 0, 2)) == 29);
  CHECK(int(g.at(0, 0, 3)) == 255);

  const std::vector<std::uint8_t> ramp = {0, 77, 200};
  const Image one = decode(encode(Format::png, ramp, 3, 1, 1), grey());
  const Image three = decode(encode(Format::png, ramp, 3, 1, 1));
  REQUIRE(three.channels == 3);
  for (int x = 0; x < 3; ++x) {
    CHECK(one.at(0, 0, x) == ramp[static_cast<std::size_t>(x)]);
    for (int c = 0; c < 3; ++c) CHECK(three.at(c, 0, x) == ramp[static_cast<std::size_t>(x)]);
  }
}

TEST_CASE("image: alpha is composited over the background, or dropped", "[io]") {
  // RGBA: transparent, half, opaque.
  const std::vector<std::uint8_t> rgba = {200, 100, 50, 0, 200, 100, 50, 128, 200, 100, 50, 255};
  const auto png = encode(Format::png, rgba, 3, 1, 4);
  const Image black = decode(png);  // the default: composite over black
  CHECK(int(black.at(0, 0, 0)) == 0);
  CHECK(int(black.at(1, 0, 0)) == 0);
  CHECK(int(black.at(0, 0, 1)) == (200 * 128 + 127) / 255);
  CHECK(int(black.at(2, 0, 1)) == (50 * 128 + 127) / 255);
  CHECK(int(black.at(0, 0, 2)) == 200);

  ImageOptions white;
  white.background = {255, 255, 255};
  const Image w = decode(png, white);
  CHECK(int(w.at(0, 0, 0)) == 255);
  CHECK(int(w.at(1, 0, 1)) == (100 * 128 + 255 * 127 + 127) / 255);
  CHECK(int(w.at(2, 0, 2)) == 50);

  ImageOptions drop;
  drop.alpha = Alpha::drop;
  const Image d = decode(png, drop);
  for (int x = 0; x < 3; ++x) {
    CHECK(int(d.at(0, 0, x)) == 200);
    CHECK(int(d.at(1, 0, x)) == 100);
    CHECK(int(d.at(2, 0, x)) == 50);
  }

  // Grey + alpha, to grey and over a coloured background to colour.
  const std::vector<std::uint8_t> ga = {240, 0, 240, 255};
  ImageOptions g = grey();
  g.background = {100, 100, 100};
  const Image gg = decode(encode(Format::png, ga, 2, 1, 2), g);
  CHECK(int(gg.at(0, 0, 0)) == 100);
  CHECK(int(gg.at(0, 0, 1)) == 240);
  ImageOptions red;
  red.background = {255, 0, 0};
  const Image gr = decode(encode(Format::png, ga, 2, 1, 2), red);
  CHECK(int(gr.at(0, 0, 0)) == 255);
  CHECK(int(gr.at(1, 0, 0)) == 0);
  CHECK(int(gr.at(1, 0, 1)) == 240);
}

TEST_CASE("image: BMP and TGA are exact, JPEG close, a GIF gives its first frame", "[io]") {
  std::vector<std::uint8_t> rgb;
  for (int p = 0; p < 16 * 16; ++p) rgb.insert(rgb.end(), {30, 140, 220});
  rgb[0] = 255;  // one odd pixel for the lossless formats
  for (Format f : {Format::bmp, Format::tga}) {
    const Image im = decode(encode(f, rgb, 16, 16, 3));
    REQUIRE(im.width == 16);
    REQUIRE(im.height == 16);
    CHECK(int(im.at(0, 0, 0)) == 255);
    CHECK(int(im.at(0, 5, 7)) == 30);
    CHECK(int(im.at(1, 15, 15)) == 140);
    CHECK(int(im.at(2, 9, 3)) == 220);
  }
  const Image jpg = decode(flat_jpeg());
  REQUIRE(jpg.channels == 3);
  REQUIRE(jpg.width == 40);
  REQUIRE(jpg.height == 24);
  // A flat colour survives JPEG's quantisation and 4:2:0 chroma within a few levels.
  for (int y = 0; y < 24; y += 5)
    for (int x = 0; x < 40; x += 7) {
      CHECK(std::abs(int(jpg.at(0, y, x)) - 200) <= 4);
      CHECK(std::abs(int(jpg.at(1, y, x)) - 30) <= 4);
      CHECK(std::abs(int(jpg.at(2, y, x)) - 30) <= 4);
    }

  const Image gif = decode(two_frame_gif);
  REQUIRE(gif.width == 2);
  REQUIRE(gif.height == 2);
  CHECK(int(gif.at(0, 0, 0)) == 255);  // red
  CHECK(int(gif.at(1, 0, 0)) == 0);
  CHECK(int(gif.at(1, 0, 1)) == 255);  // green
  CHECK(int(gif.at(2, 1, 0)) == 255);  // blue
  CHECK(int(gif.at(0, 1, 1)) == 255);  // white
  CHECK(int(gif.at(1, 1, 1)) == 255);
}

TEST_CASE("image: an image over the pixel limit is refused from its header", "[io]") {
  // Only a header: 20000 x 20000 would be 400 Mpx (1.2 GB as RGB); nothing is decoded.
  for (int colour_type : {0, 2}) {
    const auto header = png_header(20000, 20000, colour_type);
    try {
      decode(header);
      FAIL("not refused");
    } catch (const gan::ImageLimitError& e) {
      CHECK_THAT(e.what(), Catch::Contains("'fixture' is 20000 x 20000 pixels, over the limit of "
                                           "67108864 pixels (ImageLimits::max_pixels)"));
    }
  }
  ImageOptions small;
  small.limits.max_pixels = 15;
  const std::vector<std::uint8_t> px(16 * 3, 9);
  CHECK_THROWS_AS(decode(encode(Format::png, px, 4, 4, 3), small), gan::ImageLimitError);
  small.limits.max_pixels = 16;
  CHECK_NOTHROW(decode(encode(Format::png, px, 4, 4, 3), small));
  small.limits.max_file_bytes = 10;
  CHECK_THROWS_WITH(decode(encode(Format::png, px, 4, 4, 3), small),
                    Catch::Contains("over the limit of 10 (ImageLimits::max_file_bytes)"));
}

TEST_CASE("image: corrupt, truncated and empty data name the image and the reason", "[io]") {
  std::vector<std::uint8_t> px(8 * 8 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 37);
  auto png = encode(Format::png, px, 8, 8, 3);
  png.resize(png.size() / 2);
  CHECK_THROWS_WITH(decode(png), Catch::Contains("cannot decode 'fixture'") &&
                                     Catch::Contains("(corrupt or truncated)"));
  const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  CHECK_THROWS_WITH(decode(text), Catch::Contains("cannot read 'fixture'") &&
                                      Catch::Contains("not a PNG, JPEG, BMP, TGA or GIF"));
  CHECK_THROWS_WITH(decode({}), Catch::Contains("'fixture' is empty"));
  ImageOptions four;
  four.channels = 4;
  CHECK_THROWS_WITH(decode(encode(Format::png, px, 8, 8, 3), four),
                    Catch::Contains("channels must be 1 (grey) or 3 (RGB), got 4"));
}

TEST_CASE("image: read_image reads files and names them in errors", "[io]") {
  TempDir dir("gan_io_image");
  const std::vector<std::uint8_t> px = {1, 2, 3, 4, 5, 6};
  write_file(dir / "a.png", encode(Format::png, px, 2, 1, 3));
  const Image im = gan::read_image(dir / "a.png");
  CHECK(int(im.at(2, 0, 1)) == 6);
  CHECK_THROWS_WITH(gan::read_image(dir / "missing.png"),
                    Catch::Contains("cannot read '" + (dir / "missing.png") + "'"));
  ImageOptions tiny;
  tiny.limits.max_file_bytes = 8;
  CHECK_THROWS_AS(gan::read_image(dir / "a.png", tiny), gan::ImageLimitError);
}

TEST_CASE("image: resizing follows torchvision's Resize + CenterCrop geometry", "[io]") {
  using gan::resized_shape;
  CHECK(resized_shape(64, 48, 32) == std::array<int, 2>{42, 32});
  CHECK(resized_shape(48, 64, 32) == std::array<int, 2>{32, 42});
  CHECK(resized_shape(28, 28, 32) == std::array<int, 2>{32, 32});
  CHECK(resized_shape(100, 33, 32) == std::array<int, 2>{96, 32});  // int(96.97)

  // Already the right height: only cropped. Width 7 -> left = round(2.5) = 2 (half to even).
  Image wide;
  wide.channels = 1;
  wide.height = 3;
  wide.width = 7;
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 7; ++x) wide.pixels.push_back(static_cast<std::uint8_t>(10 * y + x));
  const Image c = gan::resize_center_crop(wide, 3);
  REQUIRE(c.pixels.size() == 9);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) CHECK(int(c.at(0, y, x)) == 10 * y + x + 2);
  // Height 6, width 3: top = round(1.5) = 2.
  Image tall;
  tall.channels = 1;
  tall.height = 6;
  tall.width = 3;
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 3; ++x) tall.pixels.push_back(static_cast<std::uint8_t>(10 * y + x));
  CHECK(int(gan::resize_center_crop(tall, 3).at(0, 0, 0)) == 20);

  CHECK_THROWS_WITH(gan::resize_center_crop(tall, 0),
                    Catch::Contains("resize_center_crop: cannot make 0 x 0"));
}

TEST_CASE("image: downscaling averages, upscaling interpolates (triangle filter)", "[io]") {
  // A constant stays constant, exactly, through any scale.
  Image flat;
  flat.channels = 3;
  flat.height = flat.width = 10;
  flat.pixels.assign(300, 0);
  for (int c = 0; c < 3; ++c)
    std::fill(flat.pixels.begin() + c * 100, flat.pixels.begin() + (c + 1) * 100,
              static_cast<std::uint8_t>(60 * c + 17));
  for (int size : {5, 7, 23}) {
    const Image r = gan::resize_center_crop(flat, size);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) CHECK(int(r.at(c, y, x)) == 60 * c + 17);
  }

  // A 1-pixel checkerboard halved: the tent over 4 x 4 source pixels gives the mean, 127.5,
  // away from the edges (where clamping repeats the border pixel).
  Image board;
  board.channels = 1;
  board.height = board.width = 16;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) board.pixels.push_back((x + y) % 2 ? 255 : 0);
  const Image half = gan::resize_center_crop(board, 8);
  for (int y = 1; y < 7; ++y)
    for (int x = 1; x < 7; ++x) {
      CHECK(int(half.at(0, y, x)) >= 127);
      CHECK(int(half.at(0, y, x)) <= 128);
    }
  // Nearest-neighbour sampling would have kept 0s and 255s; a box or tent cannot.
  for (std::uint8_t v : half.pixels) {
    CHECK(int(v) > 60);
    CHECK(int(v) < 195);
  }

  // A linear ramp stays (nearly) linear, 9 -> 6, a ratio at which stb's own weight check
  // fails (its weights are renormalised): destination pixel j samples source position
  // 1.5 j + 0.25, so away from the clamped edges it is 27 y' + 3 x' there, within a level.
  Image ramp;
  ramp.channels = 1;
  ramp.height = ramp.width = 9;
  for (int i = 0; i < 81; ++i) ramp.pixels.push_back(static_cast<std::uint8_t>(3 * i));
  const Image six = gan::resize_center_crop(ramp, 6);
  for (int y = 1; y < 5; ++y)
    for (int x = 1; x < 5; ++x)
      CHECK(std::abs(six.at(0, y, x) - (27 * (1.5 * y + 0.25) + 3 * (1.5 * x + 0.25))) <= 1.5);

  // Upscaling [0, 255] to 4 pixels: bilinear at source positions -0.25, 0.25, 0.75, 1.25.
  Image step;
  step.channels = 1;
  step.height = step.width = 2;
  step.pixels = {0, 255, 0, 255};
  const Image up = gan::resize_center_crop(step, 4);
  const int expect[4] = {0, 64, 191, 255};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) CHECK(std::abs(int(up.at(0, y, x)) - expect[x]) <= 1);
}

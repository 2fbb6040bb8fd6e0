#include "gan/io/image.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"
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

TEST_CASE("image: a JPEG whose Huffman table overruns stb's arrays is refused unread", "[io]") {
  // stb 2.27 writes as many codes as a DHT table's counts add up to into 257 slots
  // (gan/io/jpeg_guard.hpp); the fuzzer's file is in tests/fuzz/regressions.
  using gan::detail::jpeg_most_huffman_codes;
  const std::vector<std::uint8_t> good = flat_jpeg();
  const int standard = jpeg_most_huffman_codes(good.data(), good.size());
  CHECK(standard == 162);  // the standard luminance AC table
  std::size_t dht = 0;
  while (!(good[dht] == 0xff && good[dht + 1] == 0xc4)) ++dht;
  std::vector<std::uint8_t> bad = good;
  bad[dht + 5] = 0xff;  // first table's counts of 1- and 2-bit codes
  bad[dht + 6] = 0xff;
  CHECK(jpeg_most_huffman_codes(bad.data(), bad.size()) > 256);
  CHECK_THROWS_WITH(decode(bad), Catch::Contains("cannot read 'fixture'") &&
                                     Catch::Contains("Huffman table declares"));
  // The header is walked segment by segment: FF C4 inside an APP1 segment's payload is no
  // table (stb skips the segment), and the file still decodes.
  std::vector<std::uint8_t> fake = {0xff, 0xe1, 0x00, 0x17, 0xff, 0xc4, 0x00, 0x13, 0x00};
  fake.insert(fake.end(), 16, 0xff);
  std::vector<std::uint8_t> with_app = good;
  with_app.insert(with_app.begin() + 2, fake.begin(), fake.end());
  CHECK(jpeg_most_huffman_codes(with_app.data(), with_app.size()) == standard);
  CHECK(decode(with_app).width == decode(good).width);
  // After the first scan every FF C4 counts (progressive JPEGs define tables between scans).
  std::vector<std::uint8_t> late = good;
  late.insert(late.end(), fake.begin() + 4, fake.end());
  CHECK(jpeg_most_huffman_codes(late.data(), late.size()) == 16 * 255);
  CHECK_THROWS_WITH(decode(late), Catch::Contains("Huffman table declares 4080 codes"));
}

TEST_CASE("image: a PNG whose first IDAT chunk is empty is refused unread", "[io]") {
  // stb 2.27 copies an empty first IDAT to a null pointer (gan/io/png_guard.hpp); the
  // fuzzer's file is in tests/fuzz/regressions.
  using gan::detail::png_first_idat_empty;
  const std::vector<std::uint8_t> good = flat(Format::png, 5, 3, 10, 20, 30);
  REQUIRE_FALSE(png_first_idat_empty(good.data(), good.size()));
  // The same file with an empty IDAT chunk (length 0, type, CRC) before its own.
  std::size_t idat = 8;
  while (std::string(good.begin() + idat + 4, good.begin() + idat + 8) != "IDAT")
    idat += 12 + ((std::size_t(good[idat + 2]) << 8) | good[idat + 3]);
  std::vector<std::uint8_t> bad = good;
  const std::vector<std::uint8_t> empty = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0, 0, 0, 0};
  bad.insert(bad.begin() + static_cast<std::ptrdiff_t>(idat), empty.begin(), empty.end());
  CHECK(png_first_idat_empty(bad.data(), bad.size()));
  CHECK_THROWS_WITH(decode(bad), Catch::Contains("cannot read 'fixture'") &&
                                     Catch::Contains("an empty IDAT chunk"));
  // An empty IDAT after the image data is harmless to stb and decodes.
  std::vector<std::uint8_t> late = good;
  late.insert(late.end() - 12, empty.begin(), empty.end());  // before IEND
  CHECK_FALSE(png_first_idat_empty(late.data(), late.size()));
  CHECK(decode(late).width == 5);
  // A file cut short inside a chunk, or no PNG at all, is left to the decoder.
  CHECK_FALSE(png_first_idat_empty(good.data(), idat + 3));
  CHECK_FALSE(png_first_idat_empty(png_header(4, 4, 2).data(), png_header(4, 4, 2).size()));
  const std::vector<std::uint8_t> jpeg = flat_jpeg();
  CHECK_FALSE(png_first_idat_empty(jpeg.data(), jpeg.size()));
}

namespace {

// What resize_center_crop did before it resized only the crop: the whole image through stb,
// then the centre cut out.
Image resize_whole_then_crop(const Image& im, int size) {
  const auto [rh, rw] = gan::resized_shape(im.height, im.width, size);
  const int c = im.channels, plane = im.height * im.width;
  std::vector<std::uint8_t> hwc(im.pixels.size()), resized(std::size_t(rh) * rw * c);
  for (int k = 0; k < c; ++k)
    for (int p = 0; p < plane; ++p)
      hwc[std::size_t(p) * c + k] = im.pixels[std::size_t(k) * plane + p];
  REQUIRE(stbir_resize_uint8_generic(hwc.data(), im.width, im.height, im.width * c, resized.data(),
                                     rw, rh, rw * c, c, STBIR_ALPHA_CHANNEL_NONE, 0,
                                     STBIR_EDGE_CLAMP, STBIR_FILTER_TRIANGLE,
                                     STBIR_COLORSPACE_LINEAR, nullptr));
  const int top = gan::detail::half_round_even(rh - size);
  const int left = gan::detail::half_round_even(rw - size);
  Image out;
  out.channels = c;
  out.height = out.width = size;
  out.pixels.resize(std::size_t(c) * size * size);
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        out.pixels[(std::size_t(k) * size + y) * size + x] =
            resized[((std::size_t(top) + y) * rw + left + x) * c + k];
  return out;
}

}  // namespace

TEST_CASE("image: resizing only the crop gives what resizing the whole image gives", "[io]") {
  gan::Rng rng(11);
  const std::vector<std::array<int, 2>> shapes = {{40, 31},   {31, 40}, {5, 97},  {97, 5},
                                                  {200, 150}, {13, 13}, {9, 300}, {28, 75},
                                                  {301, 29},  {6, 6}};
  for (const auto& [h, w] : shapes) {
    for (const int size : {6, 20, 28}) {
      Image im;
      im.channels = 3;
      im.height = h;
      im.width = w;
      im.pixels.resize(std::size_t(3) * h * w);
      for (auto& p : im.pixels) p = static_cast<std::uint8_t>(rng.uniform(0, 256));
      INFO(h << " x " << w << " to " << size);
      const Image fast = gan::resize_center_crop(im, size);
      const Image whole = resize_whole_then_crop(im, size);
      // stb computes the filter positions in float from other starting points, so a value
      // may round the other way; a misplaced window would be off by tens on random pixels.
      int worst = 0;
      std::size_t differ = 0;
      for (std::size_t i = 0; i < fast.pixels.size(); ++i) {
        worst = std::max(worst, std::abs(int(fast.pixels[i]) - int(whole.pixels[i])));
        differ += fast.pixels[i] != whole.pixels[i];
      }
      CHECK(worst <= 1);
      CHECK(differ * 100 <= fast.pixels.size());
    }
  }
}

TEST_CASE("image: a long thin image costs no more to resize than its crop", "[io]") {
  // Resized whole, this strip would be 28 x 112,000,000 pixels.
  Image strip;
  strip.channels = 3;
  strip.height = 1;
  strip.width = 4000000;
  strip.pixels.assign(std::size_t(3) * 4000000, 7);
  for (std::size_t x = 2000000 - 20; x < 2000000 + 20; ++x) strip.pixels[x] = 200;  // red, mid
  const Image small = gan::resize_center_crop(strip, 28);
  REQUIRE(small.height == 28);
  REQUIRE(small.width == 28);
  // Each output column covers 1/28 of a source pixel: the centre 28 columns are the red
  // source pixel 2,000,000 (or its neighbour), every row alike; green and blue stay flat.
  for (int y = 0; y < 28; ++y) {
    CHECK(int(small.at(0, y, 0)) == 200);
    CHECK(int(small.at(1, y, 5)) == 7);
  }
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

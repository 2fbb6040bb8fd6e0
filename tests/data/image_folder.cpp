#include "gan/data/image_folder.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "gan/data.hpp"
#include "io/image_fixtures.hpp"

namespace fs = std::filesystem;
using gan::data::ImageFolderOptions;
using gan::data::ImageSet;
using gan::data::load_image_folder;
using namespace image_fixtures;

namespace {

struct Collect {
  std::vector<std::string> lines;
  ImageFolderOptions options(int size = 4, int channels = 3) {
    ImageFolderOptions o;
    o.image_size = size;
    o.image.channels = channels;
    o.warn = [this](const std::string& s) { lines.push_back(s); };
    return o;
  }
  bool any(const std::string& part) const {
    for (const auto& l : lines)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
};

// The value of channel c of image i at (y, x).
int px(const ImageSet& s, gan::index_t i, gan::index_t c, gan::index_t y = 0, gan::index_t x = 0) {
  return s.pixels[static_cast<std::size_t>(((i * s.channels + c) * s.height + y) * s.width + x)];
}

}  // namespace

TEST_CASE("image folder: sub-folders are classes, sorted, searched recursively", "[data]") {
  TempDir dir("gan_image_folder");
  write_file(dir / "dog/x.png", flat(Format::png, 4, 4, 40, 0, 0));
  write_file(dir / "dog/deep/er/y.bmp", flat(Format::bmp, 4, 4, 30, 0, 0));
  write_file(dir / "cat/b.png", flat(Format::png, 4, 4, 20, 0, 0));
  write_file(dir / "cat/a.PNG", flat(Format::png, 4, 4, 10, 0, 0));
  write_file(dir / "cat/notes.txt", {'h', 'i'});
  write_file(dir / "cat/.hidden.png", {'x'});
  fs::create_directories(dir.path / "empty");
  Collect w;
  const ImageSet s = load_image_folder(dir.str(), w.options());
  REQUIRE(s.count == 4);
  CHECK(s.channels == 3);
  CHECK(s.height == 4);
  CHECK(s.width == 4);
  CHECK(s.pixels.size() == 4 * 3 * 16);
  CHECK(s.class_names == std::vector<std::string>{"cat", "dog"});
  CHECK(s.labels == std::vector<int>{0, 0, 1, 1});
  // cat/a.PNG, cat/b.png, dog/deep/er/y.bmp, dog/x.png
  CHECK(px(s, 0, 0) == 10);
  CHECK(px(s, 1, 0) == 20);
  CHECK(px(s, 2, 0) == 30);
  CHECK(px(s, 3, 0, 3, 3) == 40);
  CHECK(s.skipped == 0);
  CHECK(s.source == dir.str());
  // The text file is counted; the hidden file and the empty folder are not mentioned.
  REQUIRE(w.lines.size() == 1);
  CHECK_THAT(w.lines[0], Catch::Contains("ignored 1 files that are not"));
  CHECK(s.describe() == "4 images of 3x4x4 from '" + dir.str() + "' (2 classes)");

  const auto listing = gan::data::list_image_folder(dir.str());
  REQUIRE(listing.files.size() == 4);
  CHECK(listing.files[2] == fs::path("dog/deep/er/y.bmp"));
}

TEST_CASE("image folder: images of its own make the folder unlabelled", "[data]") {
  TempDir dir("gan_image_folder");
  write_file(dir / "top.png", flat(Format::png, 4, 4, 1, 0, 0));
  write_file(dir / "sub/b.png", flat(Format::png, 4, 4, 2, 0, 0));
  Collect w;
  const ImageSet s = load_image_folder(dir.str(), w.options());
  CHECK(s.count == 2);
  CHECK_FALSE(s.labelled());
  CHECK(s.class_names.empty());
  CHECK(px(s, 0, 0) == 2);  // "sub" < "top.png"
  CHECK(px(s, 1, 0) == 1);

  fs::remove(dir.path / "top.png");
  auto o = w.options();
  CHECK(load_image_folder(dir.str(), o).labelled());
  o.class_folders = false;
  CHECK_FALSE(load_image_folder(dir.str(), o).labelled());
}

TEST_CASE("image folder: mixed sizes and formats, resized and cropped, colour or grey", "[data]") {
  TempDir dir("gan_image_folder");
  write_file(dir / "a.jpg", flat_jpeg());  // 40 x 24
  write_file(dir / "b.png", flat(Format::png, 7, 13, 30, 30, 200));
  write_file(dir / "c.tga", flat(Format::tga, 8, 8, 30, 200, 30));
  Collect w;
  const ImageSet rgb = load_image_folder(dir.str(), w.options(8, 3));
  REQUIRE(rgb.count == 3);
  CHECK(rgb.per_image() == 3 * 8 * 8);
  for (int y : {0, 3, 7})
    for (int x : {0, 4, 7}) {
      CHECK(std::abs(px(rgb, 0, 0, y, x) - 200) <= 4);  // the JPEG: near
      CHECK(std::abs(px(rgb, 0, 2, y, x) - 30) <= 4);
      CHECK(px(rgb, 1, 2, y, x) == 200);  // flat colours resize exactly
      CHECK(px(rgb, 2, 1, y, x) == 200);
    }
  const ImageSet grey = load_image_folder(dir.str(), w.options(8, 1));
  REQUIRE(grey.channels == 1);
  CHECK(grey.pixels.size() == 3 * 64);
  CHECK(px(grey, 1, 0, 5, 5) == gan::detail::luma(30, 30, 200));
  CHECK(px(grey, 2, 0, 5, 5) == gan::detail::luma(30, 200, 30));
}

TEST_CASE("image folder: corrupt and truncated files are skipped, named and counted", "[data]") {
  TempDir dir("gan_image_folder");
  std::vector<std::uint8_t> noisy(16 * 16 * 3);
  for (std::size_t i = 0; i < noisy.size(); ++i) noisy[i] = static_cast<std::uint8_t>(i * 97 + 5);
  auto png = encode(Format::png, noisy, 16, 16, 3);
  write_file(dir / "a_good.png", png);
  png.resize(png.size() / 2);
  write_file(dir / "b_truncated.png", png);
  write_file(dir / "c_garbage.png", {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
  write_file(dir / "d_empty.jpg", {});
  write_file(dir / "e_good.bmp", flat(Format::bmp, 4, 4, 9, 9, 9));
  Collect w;
  const ImageSet s = load_image_folder(dir.str(), w.options());
  CHECK(s.count == 2);
  CHECK(s.skipped == 3);
  CHECK(s.pixels.size() == 2 * 3 * 16);
  CHECK(px(s, 1, 0) == 9);
  REQUIRE(w.lines.size() == 4);
  CHECK_THAT(w.lines[0], Catch::Contains("b_truncated.png") && Catch::Contains("corrupt"));
  CHECK_THAT(w.lines[1], Catch::Contains("c_garbage.png") &&
                             Catch::Contains("not a PNG, JPEG, BMP, TGA or GIF"));
  CHECK_THAT(w.lines[2], Catch::Contains("d_empty.jpg") && Catch::Contains("empty"));
  CHECK_THAT(w.lines[3], Catch::Contains("skipped 3 of 5 image files"));
  CHECK_THAT(s.describe(), Catch::EndsWith(", 3 files skipped"));
}

TEST_CASE("image folder: nothing to load, a missing folder, an oversized image are errors",
          "[data]") {
  TempDir dir("gan_image_folder");
  Collect w;
  CHECK_THROWS_WITH(load_image_folder(dir / "missing", w.options()),
                    "image folder: '" + (dir / "missing") + "' does not exist");
  write_file(dir / "readme.txt", {'x'});
  CHECK_THROWS_WITH(load_image_folder(dir / "readme.txt", w.options()),
                    Catch::Contains("is not a folder"));
  CHECK_THROWS_WITH(load_image_folder(dir.str(), w.options()),
                    Catch::Contains("no image file (.png .jpg .jpeg .bmp .tga .gif) in") &&
                        Catch::Contains("(1 other files)"));
  write_file(dir / "bad.png", {1, 2, 3});
  write_file(dir / "bad2.gif", {'G', 'I', 'F', '8'});
  CHECK_THROWS_WITH(load_image_folder(dir.str(), w.options()),
                    Catch::Contains("none of the 2 image files in"));

  write_file(dir / "good.png", flat(Format::png, 4, 4, 1, 2, 3));
  write_file(dir / "huge.png", png_header(20000, 20000, 2));
  CHECK_THROWS_WITH(load_image_folder(dir.str(), w.options()),
                    Catch::Contains("huge.png' is 20000 x 20000 pixels, over the limit") &&
                        Catch::Contains("raise ImageLimits"));

  auto o = w.options();
  o.image_size = 0;
  CHECK_THROWS_WITH(load_image_folder(dir.str(), o),
                    Catch::Contains("image_size must be in [1, 4096], got 0"));
  o = w.options(4, 2);
  CHECK_THROWS_WITH(load_image_folder(dir.str(), o), Catch::Contains("channels must be 1"));
}

TEST_CASE("image folder: symbolic links are followed, a loop is named and not followed", "[data]") {
  TempDir dir("gan_image_folder");
  write_file(dir / "data/a/img.png", flat(Format::png, 4, 4, 5, 0, 0));
  write_file(dir / "elsewhere/b.png", flat(Format::png, 4, 4, 6, 0, 0));
  fs::create_directory_symlink(dir.path / "data", dir.path / "data/a/loop");
  fs::create_directory_symlink(dir.path / "elsewhere", dir.path / "data/b");
  fs::create_symlink(dir.path / "elsewhere/b.png", dir.path / "data/a/link.png");
  fs::create_symlink(dir.path / "nowhere.png", dir.path / "data/a/broken.png");
  Collect w;
  const ImageSet s = load_image_folder(dir / "data", w.options());
  // data/a/img.png, data/a/link.png, data/b/b.png
  REQUIRE(s.count == 3);
  CHECK(s.class_names == std::vector<std::string>{"a", "b"});
  CHECK(s.labels == std::vector<int>{0, 0, 1});
  CHECK(px(s, 1, 0) == 6);
  CHECK(w.any("'a/loop' is '" + fs::canonical(dir.path / "data").string() + "', already searched"));
  CHECK(w.any("cannot follow 'a/broken.png'"));
}

TEST_CASE("image folder: the same images and messages on 1 and 2 threads", "[data]") {
  TempDir dir("gan_image_folder");
  for (int i = 0; i < 23; ++i) {
    const std::string cls = i % 3 == 0 ? "x" : "y";
    const std::string name = dir / (cls + "/" + std::to_string(100 + i) + ".png");
    if (i % 7 == 3)
      write_file(name, {0x89, 'P', 'N', 'G'});
    else
      write_file(name, flat(Format::png, 5 + i, 9, static_cast<std::uint8_t>(10 * i), 3, 7));
  }
  const int threads = gan::num_threads();
  Collect one, two;
  gan::set_num_threads(1);
  const ImageSet a = load_image_folder(dir.str(), one.options(6));
  gan::set_num_threads(2);
  const ImageSet b = load_image_folder(dir.str(), two.options(6));
  gan::set_num_threads(threads);
  CHECK(a.count == 20);
  CHECK(a.skipped == 3);
  CHECK(a.pixels == b.pixels);
  CHECK(a.labels == b.labels);
  CHECK(one.lines == two.lines);
}

TEST_CASE("image folder: each image is read_image + resize_center_crop of its file", "[data]") {
  TempDir dir("gan_image_folder");
  std::vector<std::uint8_t> rgba;
  for (int p = 0; p < 13 * 29; ++p)
    for (int c = 0; c < 4; ++c) rgba.push_back(static_cast<std::uint8_t>(p * 41 + c * 67));
  write_file(dir / "noisy.png", encode(Format::png, rgba, 13, 29, 4));
  for (int channels : {1, 3})
    for (int size : {5, 13, 20}) {
      Collect w;
      const ImageSet s = load_image_folder(dir.str(), w.options(size, channels));
      gan::ImageOptions o;
      o.channels = channels;
      const gan::Image ref = gan::resize_center_crop(gan::read_image(dir / "noisy.png", o), size);
      CHECK(s.pixels == ref.pixels);
    }
}

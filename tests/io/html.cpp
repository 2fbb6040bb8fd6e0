#include "gan/io/html.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gan/io/png.hpp"

namespace fs = std::filesystem;

TEST_CASE("html_escape escapes what can end a text run or a quoted attribute", "[io][report]") {
  CHECK(gan::html_escape("</script><script>alert(1)</script>") ==
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(gan::html_escape("a \"b\" & 'c'") == "a &quot;b&quot; &amp; &#39;c&#39;");
  CHECK(gan::html_escape("plain text, 1.5e-4") == "plain text, 1.5e-4");
  CHECK(gan::html_escape("") == "");
  // Bytes that are not ASCII (UTF-8) pass through unchanged.
  CHECK(gan::html_escape("\xc3\xa4\xe2\x80\x94") == "\xc3\xa4\xe2\x80\x94");
}

TEST_CASE("base64_encode gives RFC 4648's test vectors", "[io][report]") {
  auto b64 = [](const std::string& s) {
    return gan::base64_encode(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==");
  CHECK(b64("fo") == "Zm8=");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg==");
  CHECK(b64("fooba") == "Zm9vYmE=");
  CHECK(b64("foobar") == "Zm9vYmFy");
  const unsigned char high[] = {0xff, 0xfe, 0x00};
  CHECK(gan::base64_encode(high, 3) == "//4A");
  CHECK(gan::png_data_uri({'f', 'o', 'o'}) == "data:image/png;base64,Zm9v");
}

TEST_CASE("png_size reads a PNG's size and refuses what is not one", "[io][report]") {
  const fs::path path =
      fs::temp_directory_path() / ("gan_io_html_" + std::to_string(::getpid()) + ".png");
  gan::Tensor<float> images({5, 1, 7, 9});
  images.fill(0.5f);
  gan::write_png_grid(path.string(), images, 3, 2);  // 2 rows x 3 cols of 7 x 9, padding 2
  std::ifstream f(path, std::ios::binary);
  std::vector<unsigned char> png((std::istreambuf_iterator<char>(f)),
                                 std::istreambuf_iterator<char>());
  fs::remove(path);
  std::uint32_t w = 0, h = 0;
  REQUIRE(gan::png_size(png, w, h));
  CHECK(w == 3 * (9 + 2) + 2);
  CHECK(h == 2 * (7 + 2) + 2);

  CHECK_FALSE(gan::png_size(std::vector<unsigned char>(png.begin(), png.begin() + 20), w, h));
  std::vector<unsigned char> bad = png;
  bad[1] = 'Q';
  CHECK_FALSE(gan::png_size(bad, w, h));
  CHECK_FALSE(gan::png_size(std::vector<unsigned char>(100, 0), w, h));
}

TEST_CASE("short_number labels ticks with the precision of their step", "[io][report]") {
  CHECK(gan::short_number(20000, 5000) == "20k");
  CHECK(gan::short_number(1500, 500) == "1500");
  CHECK(gan::short_number(2500, 2500) == "2.5k");
  CHECK(gan::short_number(3e6, 1e6) == "3M");
  CHECK(gan::short_number(0, 5000) == "0");
  CHECK(gan::short_number(0.2, 0.2) == "0.2");
  CHECK(gan::short_number(0, 0.2) == "0.0");
  CHECK(gan::short_number(-1e-17, 0.2) == "0.0");
  CHECK(gan::short_number(0.75, 0.25) == "0.75");
  CHECK(gan::short_number(5, 2.5) == "5.0");
  CHECK(gan::short_number(0.001, 0.001) == "0.001");
  CHECK(gan::short_number(100, 50) == "100");
  CHECK(gan::short_number(std::nan(""), 1) == "nan");
}

TEST_CASE("plain_number shows four significant digits, whole numbers whole", "[io][report]") {
  CHECK(gan::plain_number(12.3456) == "12.35");
  CHECK(gan::plain_number(0.000123456) == "0.0001235");
  CHECK(gan::plain_number(18760) == "18760");
  CHECK(gan::plain_number(-3) == "-3");
  CHECK(gan::plain_number(std::nan("")) == "nan");
  CHECK(gan::plain_number(-HUGE_VAL) == "-inf");
}

#pragma once
// Image files made at test time: encoders (stb_image_write, through gan/io/png.hpp's private
// copy), a PNG header crafted byte by byte, and a temporary folder.

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gan/io/png.hpp"

namespace image_fixtures {

enum class Format { png, jpg, bmp, tga };

inline void sink(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* p = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

/// `pixels`: w x h interleaved, `comp` channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
inline std::vector<std::uint8_t> encode(Format f, const std::vector<std::uint8_t>& pixels, int w,
                                        int h, int comp) {
  std::vector<std::uint8_t> out;
  int ok = 0;
  switch (f) {
    case Format::png:
      ok = stbi_write_png_to_func(&sink, &out, w, h, comp, pixels.data(), w * comp);
      break;
    case Format::jpg:
      ok = stbi_write_jpg_to_func(&sink, &out, w, h, comp, pixels.data(), 95);
      break;
    case Format::bmp:
      ok = stbi_write_bmp_to_func(&sink, &out, w, h, comp, pixels.data());
      break;
    case Format::tga:
      ok = stbi_write_tga_to_func(&sink, &out, w, h, comp, pixels.data());
      break;
  }
  if (!ok || out.empty()) throw std::runtime_error("fixture: encoding failed");
  return out;
}

/// w x h pixels of one colour, as a file of format f.
inline std::vector<std::uint8_t> flat(Format f, int w, int h, std::uint8_t r, std::uint8_t g,
                                      std::uint8_t b) {
  std::vector<std::uint8_t> px;
  for (int i = 0; i < w * h; ++i) px.insert(px.end(), {r, g, b});
  return encode(f, px, w, h, 3);
}

/// A PNG signature and IHDR chunk claiming w x h pixels of 8-bit `colour_type` (0 grey,
/// 2 RGB, 6 RGBA), followed by nothing: a header without pixels.
inline std::vector<std::uint8_t> png_header(std::uint32_t w, std::uint32_t h, int colour_type) {
  std::vector<std::uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                 0,    0,   0,   13,  'I',  'H',  'D',  'R'};
  for (std::uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
  b.insert(b.end(), {8, static_cast<std::uint8_t>(colour_type), 0, 0, 0});
  b.insert(b.end(), {0, 0, 0, 0});  // CRC: stb does not check it
  return b;
}

inline void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("fixture: cannot write " + path);
}

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           (prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace image_fixtures

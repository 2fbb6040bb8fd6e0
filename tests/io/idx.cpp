#include "gan/io/idx.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support.hpp"

namespace fs = std::filesystem;

namespace {

using test_support::TempDir;

using Bytes = std::vector<std::uint8_t>;

// The IDX layout written out by hand: magic 00 00 <type> <rank>, big-endian u32 dims.
Bytes idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims, const Bytes& payload) {
  Bytes b = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(d >> shift));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

void write_raw(const std::string& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(out.good());
}

void write_gz(const std::string& path, const Bytes& b) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

Bytes read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes counting(std::size_t n) {
  Bytes p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>((i * 7) % 256);
  return p;
}

}  // namespace

TEMPLATE_TEST_CASE("read_idx_images reads raw and gzip'd files as [N, 1, H, W] / 255", "[io][idx]",
                   float, double) {
  TempDir dir("gan_io_idx");
  const Bytes payload = counting(3 * 2 * 4);
  const Bytes file = idx_bytes(0x08, {3, 2, 4}, payload);
  write_raw(dir / "raw-idx3-ubyte", file);
  // No .gz suffix: gzip must be recognised by its magic bytes.
  write_gz(dir / "compressed-idx3-ubyte", file);
  REQUIRE(read_raw(dir / "compressed-idx3-ubyte")[0] == 0x1f);

  for (const char* name : {"raw-idx3-ubyte", "compressed-idx3-ubyte"}) {
    const gan::Tensor<TestType> images = gan::read_idx_images<TestType>(dir / name);
    REQUIRE(images.shape() == gan::Shape{3, 1, 2, 4});
    for (std::size_t i = 0; i < payload.size(); ++i)
      REQUIRE(images[static_cast<gan::index_t>(i)] ==
              static_cast<TestType>(payload[i]) / static_cast<TestType>(255));
    // Row-major: image 2, row 1, column 3 is the last byte.
    REQUIRE(images(2, 0, 1, 3) == static_cast<TestType>(payload.back()) / TestType(255));
  }
}

TEST_CASE("read_idx_labels and read_idx give the bytes and dimensions", "[io][idx]") {
  TempDir dir("gan_io_idx");
  const Bytes labels = {3, 1, 4, 1, 5, 9, 2, 6};
  write_gz(dir / "labels.gz", idx_bytes(0x08, {8}, labels));
  REQUIRE(gan::read_idx_labels(dir / "labels.gz") == labels);

  write_raw(dir / "cube", idx_bytes(0x08, {2, 3, 2, 2}, counting(24)));
  const gan::IdxFile f = gan::read_idx(dir / "cube");
  REQUIRE(f.dims == std::vector<gan::index_t>{2, 3, 2, 2});
  REQUIRE(f.bytes == counting(24));
}

TEST_CASE("read_idx refuses a wrong magic, type or rank", "[io][idx]") {
  TempDir dir("gan_io_idx");
  write_raw(dir / "png", {0x89, 'P', 'N', 'G', 0, 0, 0, 1, 0});
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "png"), Catch::Contains("png'") &&
                                                      Catch::Contains("not an IDX file") &&
                                                      Catch::Contains("0x89504E47"));

  write_raw(dir / "floats", idx_bytes(0x0D, {2}, Bytes(8)));
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "floats"),
                      Catch::Contains("element type 0x0D") && Catch::Contains("0x00000D01"));

  write_raw(dir / "labels", idx_bytes(0x08, {4}, counting(4)));
  write_raw(dir / "images", idx_bytes(0x08, {1, 2, 2}, counting(4)));
  REQUIRE_THROWS_WITH(
      gan::read_idx_images<float>(dir / "labels"),
      Catch::Contains("labels'") && Catch::Contains("rank-1") && Catch::Contains("0x00000803"));
  REQUIRE_THROWS_WITH(gan::read_idx_labels(dir / "images"),
                      Catch::Contains("rank-3") && Catch::Contains("0x00000801"));

  write_raw(dir / "zero-dim", idx_bytes(0x08, {3, 0, 2}, {}));
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "zero-dim"), Catch::Contains("zero dimension"));

  write_raw(dir / "rank0", {0, 0, 8, 0});
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "rank0"), Catch::Contains("rank 0"));

  // Three dimensions of 2^32 - 1 hold more than 2^63 elements.
  write_raw(dir / "huge", idx_bytes(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}));
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "huge"), Catch::Contains("more elements"));
}

TEST_CASE("read_idx reports truncated and oversized files with byte counts", "[io][idx]") {
  TempDir dir("gan_io_idx");
  // 10 images of 28 x 28: 16 + 7840 = 7856 bytes; only 4096 present.
  const Bytes short_file = idx_bytes(0x08, {10, 28, 28}, counting(4096 - 16));
  write_raw(dir / "short", short_file);
  write_gz(dir / "short.gz", short_file);
  REQUIRE_THROWS_WITH(
      gan::read_idx_images<float>(dir / "short"),
      Catch::Equals("idx: '" + (dir / "short") + "' truncated: expected 7856 bytes, read 4096"));
  REQUIRE_THROWS_WITH(gan::read_idx_images<float>(dir / "short.gz"),
                      Catch::Contains("short.gz' truncated: expected 7856 bytes, read 4096"));

  write_raw(dir / "short-header", {0, 0, 8, 3, 0, 0, 0, 10, 0, 0});
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "short-header"),
                      Catch::Contains("16-byte header, read 10 bytes"));

  Bytes payload = counting(2 * 3 * 3);
  payload.insert(payload.end(), 5, 0xAB);
  write_raw(dir / "long", idx_bytes(0x08, {2, 3, 3}, payload));
  write_gz(dir / "long.gz", idx_bytes(0x08, {2, 3, 3}, payload));
  for (const char* name : {"long", "long.gz"})
    REQUIRE_THROWS_WITH(gan::read_idx(dir / name),
                        Catch::Contains("5 bytes after its 34-byte contents") &&
                            Catch::Contains("expected exactly 34 bytes, read 39"));
}

TEST_CASE("read_idx refuses empty, missing and corrupt files", "[io][idx]") {
  TempDir dir("gan_io_idx");
  write_raw(dir / "empty", {});
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "empty"), Catch::Contains("empty' is empty"));
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "absent.gz"),
                      Catch::Contains("absent.gz' does not exist"));
  REQUIRE_THROWS_WITH(gan::read_idx(dir.path.string()), Catch::Contains("is a folder"));

  // Incompressible payload, so that the middle of the file is deflate data.
  std::mt19937 gen(42);
  Bytes payload(4000);
  for (auto& b : payload) b = static_cast<std::uint8_t>(gen());
  write_gz(dir / "good.gz", idx_bytes(0x08, {4000}, payload));
  REQUIRE(gan::read_idx_labels(dir / "good.gz") == payload);
  const Bytes good = read_raw(dir / "good.gz");

  Bytes flipped = good;
  for (std::size_t i = flipped.size() / 2; i < flipped.size() / 2 + 16; ++i) flipped[i] ^= 0x5A;
  write_raw(dir / "flipped.gz", flipped);
  REQUIRE_THROWS_AS(gan::read_idx(dir / "flipped.gz"), gan::Error);
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "flipped.gz"), Catch::Contains("flipped.gz'"));

  // A damaged checksum alone: the data decompress, the CRC-32 trailer disagrees.
  Bytes bad_crc = good;
  bad_crc[bad_crc.size() - 6] ^= 0xFF;
  write_raw(dir / "crc.gz", bad_crc);
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "crc.gz"), Catch::Contains("corrupt"));

  // A gzip stream cut in half is a truncated file.
  write_raw(dir / "cut.gz", Bytes(good.begin(), good.begin() + static_cast<long>(good.size() / 2)));
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "cut.gz"),
                      Catch::Contains("truncated: expected 4008 bytes"));
}

TEST_CASE("the bundled MNIST digits load as 10000 images with labels 0..9", "[io][idx][data]") {
  const std::string folder = GAN_SOURCE_DIR "/data/mnist/";
  const gan::Tensor<float> images =
      gan::read_idx_images<float>(folder + "mnist-10k-images-idx3-ubyte.gz");
  REQUIRE(images.shape() == gan::Shape{10000, 1, 28, 28});
  float lo = 1, hi = 0;
  for (float v : images) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  REQUIRE(lo == 0.0f);
  REQUIRE(hi == 1.0f);

  const std::vector<std::uint8_t> labels =
      gan::read_idx_labels(folder + "mnist-10k-labels-idx1-ubyte.gz");
  REQUIRE(labels.size() == 10000);
  std::set<int> classes;
  for (std::uint8_t l : labels) {
    REQUIRE(l <= 9);
    classes.insert(l);
  }
  REQUIRE(classes.size() == 10);
}

TEST_CASE("read_idx refuses a claim larger than IdxLimits::max_bytes before allocating it",
          "[io][idx][limits]") {
  TempDir dir("gan_io_idx");
  // The gzip bomb, scaled down: a header claiming 2^31 images of 28 x 28 followed by
  // 64 MiB of zeros (64 KB gzip'd). It used to be read until memory ran out; now the header
  // alone is refused.
  Bytes bomb = idx_bytes(0x08, {1u << 31, 28, 28}, {});
  bomb.resize(bomb.size() + (std::size_t{64} << 20), 0);
  write_gz(dir / "bomb.gz", bomb);
  write_raw(dir / "claim", idx_bytes(0x08, {1u << 31, 28, 28}, counting(100)));
  for (const char* name : {"bomb.gz", "claim"})
    REQUIRE_THROWS_WITH(
        gan::read_idx_images<float>(dir / name),
        Catch::Equals("idx: '" + (dir / name) +
                      "' claims 1683627180048 bytes (dimensions [2147483648, 28, 28]), more than "
                      "the limit of 1073741824 bytes (gan::IdxLimits::max_bytes)"));

  // A lower limit refuses a real file, and the same file loads under a limit just as big.
  write_gz(dir / "labels.gz", idx_bytes(0x08, {1000}, counting(1000)));
  gan::IdxLimits tight;
  tight.max_bytes = 1007;
  REQUIRE_THROWS_WITH(gan::read_idx_labels(dir / "labels.gz", tight),
                      Catch::Contains("claims 1008 bytes (dimensions [1000]), more than the limit "
                                      "of 1007 bytes"));
  tight.max_bytes = 1008;
  REQUIRE(gan::read_idx_labels(dir / "labels.gz", tight).size() == 1000);
}

TEST_CASE("read_idx checks a claim against what the file can hold before allocating it",
          "[io][idx][limits]") {
  TempDir dir("gan_io_idx");
  gan::IdxLimits huge;
  huge.max_bytes = std::uint64_t{1} << 42;
  // Raw: the file's size is the whole story.
  write_raw(dir / "raw", idx_bytes(0x08, {1u << 31, 28, 28}, counting(100)));
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "raw", huge),
                      Catch::Equals("idx: '" + (dir / "raw") +
                                    "' truncated: expected 1683627180048 bytes, read 116"));
  // gzip: deflate expands at most 1032:1, so a 2 MB file cannot hold 1.7 TB.
  Bytes bomb = idx_bytes(0x08, {1u << 31, 28, 28}, {});
  bomb.resize(bomb.size() + (std::size_t{16} << 20), 0);
  write_gz(dir / "bomb.gz", bomb);
  REQUIRE_THROWS_WITH(gan::read_idx(dir / "bomb.gz", huge),
                      Catch::Contains("bomb.gz' truncated: expected 1683627180048 bytes "
                                      "(dimensions [2147483648, 28, 28]), more than a ") &&
                          Catch::EndsWith("-byte gzip file can hold (deflate expands at most "
                                          "1032:1)"));
}

TEST_CASE("read_idx's memory follows the stream, not the header's claim", "[io][idx][limits]") {
  TempDir dir("gan_io_idx");
  // 900 MB claimed, within the limit and within what a 1 MB gzip file might hold; the
  // stream ends after 1 MB of (incompressible) pixels. Reading it in a child process, whose
  // peak resident memory is then its own, must cost about what was read, not 900 MB.
  std::mt19937 gen(7);
  Bytes payload(1 << 20);
  for (auto& b : payload) b = static_cast<std::uint8_t>(gen());
  write_gz(dir / "short.gz", idx_bytes(0x08, {900u * 1000u, 1000}, payload));
  const pid_t child = ::fork();
  if (child == 0) {
    const auto resident_kb = [](const char* field) {
      std::ifstream status("/proc/self/status");
      std::string line;
      while (std::getline(status, line))
        if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
      return -1L;
    };
    const long before = resident_kb("VmRSS:");
    std::string message;
    try {
      gan::read_idx(dir / "short.gz");
    } catch (const gan::Error& e) {
      message = e.what();
    }
    const long grown_mb = (resident_kb("VmHWM:") - before) / 1024;
    const bool truncated =
        message.find("truncated: expected 900000012 bytes, read") != std::string::npos;
    // 300 MB: far below the claim, above what a sanitizer's shadow memory adds.
    if (!truncated || before <= 0 || grown_mb >= 300)
      std::fprintf(stderr, "read_idx: grew by %ld MB (from %ld kB): %s\n", grown_mb, before,
                   message.c_str());
    ::_exit(truncated && before > 0 && grown_mb < 300 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

TEST_CASE("read_idx refuses a gzip stream cut before its trailer", "[io][idx]") {
  // Found by fuzz_idx_gzip: with the CRC-32 and length missing but every byte of the
  // payload present, the file used to load, unverified.
  TempDir dir("gan_io_idx");
  write_gz(dir / "whole.gz", idx_bytes(0x08, {8}, counting(8)));
  const Bytes whole = read_raw(dir / "whole.gz");
  for (long cut : {1L, 4L, 8L}) {
    write_raw(dir / "cut.gz", Bytes(whole.begin(), whole.end() - cut));
    REQUIRE_THROWS_WITH(gan::read_idx(dir / "cut.gz"),
                        Catch::Contains("cut.gz' truncated: the gzip stream ends before its "
                                        "trailer (CRC-32 and length)"));
  }
  REQUIRE(gan::read_idx_labels(dir / "whole.gz") == counting(8));
}

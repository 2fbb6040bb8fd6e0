#include "gan/io/safetensors.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "support.hpp"

namespace fs = std::filesystem;

namespace {

using test_support::read_file;
using test_support::TempDir;

void write_all(const std::string& path, const std::string& bytes) {
  REQUIRE(test_support::write_file(path, bytes));
}

std::string u64_le(std::uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// A file assembled by hand: length prefix, header text, data bytes.
std::string file_with(const std::string& header, std::size_t data_bytes) {
  return u64_le(header.size()) + header + std::string(data_bytes, '\0');
}

template <class T>
gan::Tensor<T> counting(const gan::Shape& shape, T scale) {
  gan::Tensor<T> t(shape);
  for (gan::index_t i = 0; i < t.size(); ++i) t[i] = scale * static_cast<T>(i + 1);
  return t;
}

}  // namespace

TEMPLATE_TEST_CASE("safetensors round trip keeps tensors, shapes and metadata", "[io][safetensors]",
                   float, double) {
  TempDir dir("gan_io_st");
  const auto weight = counting<TestType>({2, 3, 1, 2}, TestType(0.125));
  const auto bias = counting<TestType>({3}, TestType(-1.5));
  gan::Tensor<TestType> scalar{};
  scalar.resize(gan::Shape{});
  scalar[0] = TestType(42);
  const gan::Tensor<TestType> empty({0, 4});
  const std::map<std::string, std::string> meta = {
      {"gan.model", "dcgan28"}, {"step", "120"}, {"note", "ünïcode ✓"}};
  const std::string path = dir / "ckpt.safetensors";
  gan::save_safetensors<TestType>(
      path, {{"0.weight", &weight}, {"0.bias", &bias}, {"scalar", &scalar}, {"empty", &empty}},
      meta);

  const gan::SafetensorsFile f = gan::load_safetensors(path);
  // Data order is the order given to the writer.
  REQUIRE(f.names() == std::vector<std::string>{"0.weight", "0.bias", "scalar", "empty"});
  REQUIRE(f.metadata() == meta);
  const std::string dtype = sizeof(TestType) == 4 ? "F32" : "F64";
  for (const auto& name : f.names()) REQUIRE(f.dtype(name) == dtype);
  REQUIRE(f.shape("0.weight") == std::vector<gan::index_t>{2, 3, 1, 2});
  REQUIRE(f.shape("scalar").empty());
  REQUIRE(f.shape("empty") == std::vector<gan::index_t>{0, 4});

  gan::Tensor<TestType> w({2, 3, 1, 2}), b({3}), s(gan::Shape{}), e({0, 4});
  f.copy_to("0.weight", w);
  f.copy_to("0.bias", b);
  f.copy_to("scalar", s);
  f.copy_to("empty", e);
  for (gan::index_t i = 0; i < w.size(); ++i) REQUIRE(w[i] == weight[i]);
  for (gan::index_t i = 0; i < b.size(); ++i) REQUIRE(b[i] == bias[i]);
  REQUIRE(s[0] == TestType(42));

  // The other precision converts.
  using Other = std::conditional_t<std::is_same_v<TestType, float>, double, float>;
  gan::Tensor<Other> other({3});
  f.copy_to("0.bias", other);
  for (gan::index_t i = 0; i < 3; ++i) REQUIRE(other[i] == static_cast<Other>(bias[i]));
}

TEST_CASE("safetensors header is JSON padded to 8 bytes, data little-endian", "[io][safetensors]") {
  TempDir dir("gan_io_st");
  const auto a = counting<float>({2, 3}, 1.0f);
  const auto b = counting<float>({5}, 0.5f);
  const std::string path = dir / "layout.safetensors";
  gan::save_safetensors<float>(path, {{"a", &a}, {"b", &b}}, {{"k", "v"}});

  const std::string bytes = read_file(path);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  REQUIRE(n % 8 == 0);
  REQUIRE(bytes.size() == 8 + n + (6 + 5) * 4);
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  REQUIRE(header["__metadata__"] == nlohmann::json({{"k", "v"}}));
  REQUIRE(header["a"]["dtype"] == "F32");
  REQUIRE(header["a"]["shape"] == nlohmann::json({2, 3}));
  REQUIRE(header["a"]["data_offsets"] == nlohmann::json({0, 24}));
  REQUIRE(header["b"]["data_offsets"] == nlohmann::json({24, 44}));
  // b[1] = 1.0f = 0x3F800000, stored as 00 00 80 3F.
  const std::size_t at = 8 + n + 24 + 4;
  REQUIRE(bytes.substr(at, 4) == std::string("\x00\x00\x80\x3F", 4));
}

TEST_CASE("load_safetensors refuses malformed files, naming file and tensor", "[io][safetensors]") {
  TempDir dir("gan_io_st");
  const std::string good_entry =
      R"("w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]})";
  auto refuses = [&](const std::string& name, const std::string& bytes, const std::string& why) {
    write_all(dir / name, bytes);
    REQUIRE_THROWS_WITH(
        gan::load_safetensors(dir / name),
        Catch::Contains("safetensors: '" + (dir / name) + "'") && Catch::Contains(why));
  };
  write_all(dir / "good", file_with("{" + good_entry + "}", 16));
  REQUIRE(gan::load_safetensors(dir / "good").names() == std::vector<std::string>{"w"});

  refuses("short", "abc", "too short: 3 bytes");
  refuses("cut", file_with("{" + good_entry + "}", 12), "lie outside the 12-byte data section");
  refuses("long-header", u64_le(1000) + "{}", "header length 1000 exceeds the 2 bytes");
  refuses("not-json", file_with("{\"w\": [1, 2", 0), "invalid JSON header");
  refuses("array", file_with("[1, 2]", 0), "not an object");
  refuses("dtype",
          file_with(R"({"odd": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}})", 16),
          "tensor 'odd' has unknown dtype 'F128'");
  refuses("outside",
          file_with(R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [8, 24]}})", 16),
          "tensor 'w' data_offsets [8, 24] lie outside the 16-byte data section");
  refuses("backwards",
          file_with(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})", 16),
          "data_offsets [8, 4]");
  refuses("overlap",
          file_with("{" + good_entry +
                        R"(, "v": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
                    16),
          "tensors 'w' and 'v' overlap");
  refuses("numel",
          file_with(R"({"w": {"dtype": "F64", "shape": [2, 2], "data_offsets": [0, 16]}})", 16),
          "tensor 'w' (F64 [2, 2]) needs 32 bytes, but its data_offsets [0, 16] span 16");
  refuses("gap", file_with(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})", 16),
          "bytes [0, 8) of the data section belong to no tensor");
  refuses("trailing", file_with("{" + good_entry + "}", 20), "4 bytes after the last tensor");
  refuses("negative",
          file_with(R"({"w": {"dtype": "F32", "shape": [-2, 2], "data_offsets": [0, 16]}})", 16),
          "tensor 'w' shape entry is negative: -2");
  refuses("fraction",
          file_with(R"({"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 16]}})", 16),
          "not a non-negative integer: 2.5");
  refuses("no-shape", file_with(R"({"w": {"dtype": "F32", "data_offsets": [0, 16]}})", 16),
          "tensor 'w' lacks \"shape\"");
  refuses("meta", file_with(R"({"__metadata__": {"step": 3}})", 0),
          "__metadata__ value of 'step' is not a string");
  REQUIRE_THROWS_WITH(gan::load_safetensors(dir / "absent"), Catch::Contains("does not exist"));
}

TEST_CASE("copy_to and load_into check names, dtypes and shapes first", "[io][safetensors]") {
  TempDir dir("gan_io_st");
  const auto a = counting<float>({2, 3}, 1.0f);
  const auto b = counting<float>({4}, 2.0f);
  const std::string path = dir / "m.safetensors";
  gan::save_safetensors<float>(path, {{"layer.weight", &a}, {"layer.bias", &b}});
  const gan::SafetensorsFile f = gan::load_safetensors(path);

  gan::Tensor<float> wrong({3, 2});
  REQUIRE_THROWS_WITH(f.copy_to("layer.weight", wrong), Catch::Contains("'layer.weight'") &&
                                                            Catch::Contains("[2, 3]") &&
                                                            Catch::Contains("expected [3, 2]"));
  REQUIRE_THROWS_WITH(f.copy_to("layer.gamma", wrong), Catch::Contains("no tensor 'layer.gamma'"));
  REQUIRE_THROWS_WITH(f.shape("layer.gamma"), Catch::Contains("no tensor 'layer.gamma'"));

  gan::Tensor<float> w({2, 3}), bias_ok({4}), bias_bad({5});
  w.fill(-7.0f);
  bias_bad.fill(-7.0f);
  REQUIRE_THROWS_WITH(
      gan::load_into<float>(f, {{"layer.weight", &w}, {"layer.bias", &bias_bad}, {"x", &bias_ok}}),
      Catch::Contains("cannot load 2 of 3 tensors, none loaded") &&
          Catch::Contains("'layer.bias' has shape [4], expected [5]") &&
          Catch::Contains("no tensor 'x'"));
  for (float v : w) REQUIRE(v == -7.0f);
  for (float v : bias_bad) REQUIRE(v == -7.0f);

  gan::load_into<float>(f, {{"layer.weight", &w}, {"layer.bias", &bias_ok}});
  for (gan::index_t i = 0; i < 6; ++i) REQUIRE(w[i] == a[i]);
  for (gan::index_t i = 0; i < 4; ++i) REQUIRE(bias_ok[i] == b[i]);

  // Integer tensors (a PyTorch BatchNorm's num_batches_tracked) load but do not copy.
  write_all(dir / "int",
            file_with(R"({"n": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]}})", 8));
  const gan::SafetensorsFile ints = gan::load_safetensors(dir / "int");
  REQUIRE(ints.dtype("n") == "I64");
  gan::Tensor<double> n(gan::Shape{});
  REQUIRE_THROWS_WITH(ints.copy_to("n", n), Catch::Contains("'n' has dtype I64"));
}

TEST_CASE("a failed save throws and leaves the previous file as it was", "[io][safetensors]") {
  TempDir dir("gan_io_st");
  const auto small = counting<float>({4}, 1.0f);
  const std::string path = dir / "latest.safetensors";
  gan::save_safetensors<float>(path, {{"t", &small}}, {{"step", "1"}});
  const std::string before = read_file(path);

  const std::string missing = dir / "gone/latest.safetensors";
  REQUIRE_THROWS_WITH(gan::save_safetensors<float>(missing, {{"t", &small}}),
                      Catch::Contains("cannot write '" + missing + "'"));

  fs::create_directory(dir.path / "folder.safetensors");
  REQUIRE_THROWS_WITH(gan::save_safetensors<float>(dir / "folder.safetensors", {{"t", &small}}),
                      Catch::Contains("folder.safetensors'") && Catch::Contains("Is a directory"));
  REQUIRE(fs::is_directory(dir.path / "folder.safetensors"));

  // A write that fails half-way: the file size limit makes write() return EFBIG.
  const auto big = counting<float>({4096}, 1.0f);
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit tight = old;
  tight.rlim_cur = 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &tight) == 0);
  std::string message;
  try {
    gan::save_safetensors<float>(path, {{"t", &big}}, {{"step", "2"}});
  } catch (const gan::Error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  REQUIRE_THAT(message,
               Catch::Contains("cannot write '" + path + "'") && Catch::Contains("write failed"));
  REQUIRE(read_file(path) == before);
  REQUIRE(gan::load_safetensors(path).metadata().at("step") == "1");
  // Only the old file and the folder remain: no temporary file left behind.
  REQUIRE(dir.entries() == 2);

  gan::Tensor<float> null_free({1});
  REQUIRE_THROWS_WITH(gan::save_safetensors<float>(path, {{"t", nullptr}}),
                      Catch::Contains("'t' is a null pointer"));
  REQUIRE_THROWS_WITH(gan::save_safetensors<float>(path, {{"t", &null_free}, {"t", &null_free}}),
                      Catch::Contains("'t' appears twice"));
  REQUIRE(read_file(path) == before);
}

TEST_CASE("load_safetensors refuses hostile headers with short messages", "[io][safetensors]") {
  TempDir dir("gan_io_st");
  const auto message = [&](const std::string& name, const std::string& bytes) {
    write_all(dir / name, bytes);
    try {
      gan::load_safetensors(dir / name);
    } catch (const gan::Error& e) {
      return std::string(e.what());
    }
    FAIL("'" << name << "' loaded");
    return std::string();
  };
  const auto short_message = [&](const std::string& name, const std::string& bytes,
                                 const std::string& why) {
    const std::string m = message(name, bytes);
    INFO(m.substr(0, 400));
    REQUIRE_THAT(
        m, Catch::StartsWith("safetensors: '" + (dir / name) + "': ") && Catch::Contains(why));
    REQUIRE(m.size() < 400 + (dir / name).size());
  };

  // Header lengths that cannot be: 2^63, 2^64 - 1; offsets beyond the file.
  short_message("len63", u64_le(std::uint64_t{1} << 63) + "{}",
                "header length 9223372036854775808 exceeds the 2 bytes after it");
  short_message("len64", u64_le(~std::uint64_t{0}) + "{}",
                "header length 18446744073709551615 exceeds the 2 bytes after it");
  short_message("far",
                file_with(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551608,)"
                          R"(18446744073709551615]}})",
                          8),
                "data_offsets [18446744073709551608, 18446744073709551615] lie outside the "
                "8-byte data section");

  // Nesting 100,000 deep in shape, data_offsets or metadata: the stack used to overflow
  // (SIGSEGV) while the error message serialised the value.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  short_message(
      "deep-shape",
      file_with(R"({"w":{"dtype":"F32","shape":)" + deep + R"(,"data_offsets":[0,0]}})", 0),
      "the JSON header nests deeper than 8 levels (at byte 34); a safetensors header "
      "needs 3");
  short_message("deep-offsets",
                file_with(R"({"w":{"dtype":"F32","shape":[],"data_offsets":)" + deep + "}}", 4),
                "nests deeper than 8 levels");
  short_message("deep-meta", file_with(R"({"__metadata__":{"k":)" + deep + "}}", 0),
                "nests deeper than 8 levels");
  // Brackets inside strings do not count, and a shallow non-integer is quoted by its kind.
  short_message(
      "brackets",
      file_with(R"({"w[[[[[[[[[[":{"dtype":"F32","shape":[[[1]]],"data_offsets":[0,4]}})", 4),
      "tensor 'w[[[[[[[[[[' shape entry is not a non-negative integer: an array of 1 "
      "elements");

  // Values echoed in messages are cut: a 10,000-deep shape used to become a 20 KB line.
  const std::string long_name(100000, 'n');
  short_message(
      "long-name",
      file_with("{\"" + long_name + R"(":{"dtype":"F128","shape":[],"data_offsets":[0,0]}})", 0),
      "tensor '" + std::string(80, 'n') + "...' has unknown dtype 'F128'");
  short_message("long-dtype",
                file_with(R"({"w":{"dtype":")" + std::string(5000, 'F') +
                              R"(","shape":[],"data_offsets":[0,0]}})",
                          0),
                "tensor 'w' has unknown dtype 'FFFFFFFFFFFFFFFF...'");
  short_message("long-string",
                file_with(R"({"w":{"dtype":"F32","shape":[")" + std::string(5000, 's') +
                              R"("],"data_offsets":[0,4]}})",
                          4),
                "not a non-negative integer: \"ssssssss");
  short_message("long-meta",
                file_with(R"({"__metadata__":{")" + std::string(5000, 'k') + R"(":[1,2,3]}})", 0),
                "is not a string but an array of 3 elements");
  // nlohmann's parse errors quote the last token read, here a 10,000-byte string with an
  // invalid UTF-8 byte (found by fuzz_safetensors and fuzz_checkpoint).
  short_message("bad-utf8", file_with("{\"" + std::string(10000, 'x') + "\xff\": 1}", 0),
                "invalid JSON header: [json.exception.parse_error.101]");
  short_message("unterminated", file_with("{\"" + std::string(10000, 'x'), 0),
                "invalid JSON header");

  // Shapes whose size overflows, even when a zero dimension makes them empty.
  short_message(
      "huge",
      file_with(R"({"w":{"dtype":"U8","shape":[4611686018427387904,4],"data_offsets":[0,0]}})", 0),
      "tensor 'w' has an impossibly large shape: dimension 1 = 4 after [4611686018427387904]");
  short_message(
      "huge-empty",
      file_with(R"({"w":{"dtype":"U8","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}})",
                0),
      "tensor 'w' has an impossibly large shape: dimension 2 = 4 after [0, "
      "4611686018427387904]");
  std::string rank_1000 = "[";
  for (int i = 0; i < 1000; ++i) rank_1000 += (i ? ",1" : "1");
  short_message(
      "rank-1000",
      file_with(R"({"w":{"dtype":"F32","shape":)" + rank_1000 + R"(],"data_offsets":[0,8]}})", 8),
      "(F32 [1, 1, 1, 1, 1, 1, 1, 1, ... (rank 1000)]) needs 4 bytes, but its "
      "data_offsets [0, 8] span 8");

  // A wrong dtype for the bytes it has, and tensors that overlap.
  short_message("dtype-size",
                file_with(R"({"w":{"dtype":"F64","shape":[3],"data_offsets":[0,12]}})", 12),
                "tensor 'w' (F64 [3]) needs 24 bytes, but its data_offsets [0, 12] span 12");
  short_message("overlap",
                file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                          12),
                "tensors 'a' and 'b' overlap in the data section");
}

TEST_CASE("a header longer than 100 MB is refused before it is read", "[io][safetensors]") {
  TempDir dir("gan_io_st");
  // A sparse 200 MB file: nothing of it is ever allocated, the length alone is refused.
  const std::string path = dir / "sparse";
  write_all(path, u64_le(150'000'000));
  fs::resize_file(path, 200'000'000);
  REQUIRE_THROWS_WITH(gan::load_safetensors(path),
                      Catch::Contains("header length 150000000 exceeds the 100 MB limit"));
}

TEMPLATE_TEST_CASE("save_safetensors refuses a NaN or an infinity and writes nothing",
                   "[io][safetensors][finite]", float, double) {
  using T = TestType;
  TempDir dir("gan_io_st");
  const std::string path = dir / "latest.safetensors";
  const auto good = counting<T>({4}, T(1));
  gan::save_safetensors<T>(path, {{"good", &good}}, {{"step", "1"}});
  const std::string before = read_file(path);
  for (const T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                      -std::numeric_limits<T>::infinity()}) {
    auto weights = counting<T>({2, 3}, T(0.5));
    weights[4] = bad;
    const std::string shown = std::isnan(bad) ? "nan" : bad > 0 ? "inf" : "-inf";
    REQUIRE_THROWS_WITH(gan::save_safetensors<T>(path, {{"good", &good}, {"0.weight", &weights}}),
                        Catch::Equals("safetensors: cannot write '" + path +
                                      "': tensor '0.weight' holds a "
                                      "non-finite value (" +
                                      shown + " at element 4 of 6); nothing was written"));
    REQUIRE(read_file(path) == before);
    REQUIRE(dir.entries() == 1);
  }
}

TEMPLATE_TEST_CASE("copy_to and load_into refuse non-finite values, naming the tensor",
                   "[io][safetensors][finite]", float, double) {
  using T = TestType;
  TempDir dir("gan_io_st");
  // F32 bits 7FC00000 (NaN) at element 1 of "b", F64 1e300 and inf in "c" and "d".
  std::string data = std::string(8, '\0');
  const float f32[2] = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  const double f64[2] = {2.0, 1e300};
  const double inf[1] = {-std::numeric_limits<double>::infinity()};
  data.append(reinterpret_cast<const char*>(f32), 8);
  data.append(reinterpret_cast<const char*>(f64), 16);
  data.append(reinterpret_cast<const char*>(inf), 8);
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
                             R"("c":{"dtype":"F64","shape":[2],"data_offsets":[16,32]},)"
                             R"("d":{"dtype":"F64","shape":[1],"data_offsets":[32,40]}})";
  write_all(dir / "bad", u64_le(header.size()) + header + data);
  const gan::SafetensorsFile f = gan::load_safetensors(dir / "bad");

  gan::Tensor<T> a({2}), b({2}), c({2}), d({1});
  a.fill(T(-7));
  REQUIRE_THROWS_WITH(
      f.copy_to("b", b),
      Catch::EndsWith("tensor 'b' holds a non-finite value (nan at element 1 of 2)"));
  REQUIRE_THROWS_WITH(
      f.copy_to("d", d),
      Catch::EndsWith("tensor 'd' holds a non-finite value (-inf at element 0 of 1)"));
  if constexpr (std::is_same_v<T, float>) {
    REQUIRE_THROWS_WITH(f.copy_to("c", c),
                        Catch::EndsWith("tensor 'c' holds a value too large for F32 (1e+300 at "
                                        "element 1 of 2)"));
  } else {
    f.copy_to("c", c);
    REQUIRE(c[1] == 1e300);
  }
  REQUIRE_THROWS_WITH(gan::load_into<T>(f, {{"a", &a}, {"b", &b}}),
                      Catch::Contains("cannot load 1 of 2 tensors, none loaded: tensor 'b' holds "
                                      "a non-finite value (nan at element 1 of 2)"));
  REQUIRE(a[0] == T(-7));
  f.copy_to("a", a);
  REQUIRE(a[1] == T(0));
}

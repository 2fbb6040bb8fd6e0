#pragma once
// Helpers shared by the test files (they were copied into a dozen of them before):
//   TempDir                  a fresh folder per test case, removed afterwards
//   read_file / write_file   whole files as byte strings
//   same_bits(a, b)          bit-for-bit equality of tensors or vectors (shape included)
//   random_tensor<T>(s, rng) uniform in [lo, hi), default [-1, 1)
// The layer contract itself is public: gan/testing/layer_contract.hpp.

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"

namespace test_support {

namespace fs = std::filesystem;

/// A folder of its own under the system's temporary folder, named after the process and a
/// counter (ctest runs test cases as parallel processes), removed with its contents.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag = "gan_test") {
    static int counter = 0;
    path = fs::temp_directory_path() /
           (tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  /// How many entries the folder holds (a test that no temporary file was left behind).
  std::size_t entries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(path), fs::directory_iterator()));
  }
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Writes bytes to path; false if it could not.
inline bool write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return out.good();
}

template <class T>
bool same_bits(const gan::Tensor<T>& a, const gan::Tensor<T>& b) {
  return a.shape() == b.shape() &&
         (a.size() == 0 ||
          std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0);
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

template <class T>
gan::Tensor<T> random_tensor(const gan::Shape& shape, gan::Rng& rng, double lo = -1.0,
                             double hi = 1.0) {
  gan::Tensor<T> t(shape);
  rng.fill_uniform(t, lo, hi);
  return t;
}

}  // namespace test_support

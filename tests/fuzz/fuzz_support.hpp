#pragma once
// What every fuzz target shares: the input written to a file, so that each target calls the
// library's public, path-based API exactly as a user does (read_idx(path),
// load_safetensors(path), load_checkpoint(path, trainer)). The file lives in /dev/shm when
// there is one (a write costs microseconds there) and is named after the process, so
// parallel fuzzing jobs (-jobs=N) do not share it.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>

namespace gan_fuzz {

inline const std::string& scratch_path(const char* suffix) {
  static const std::string path = [suffix] {
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm", ec)
                                          ? std::filesystem::path("/dev/shm")
                                          : std::filesystem::temp_directory_path();
    return (dir / ("gan_fuzz_" + std::to_string(::getpid()) + suffix)).string();
  }();
  return path;
}

/// Writes the bytes to the scratch file and returns its path; aborts if it cannot (a fuzz
/// run that silently tested nothing would be worse than one that stops).
inline const std::string& as_file(const void* data, std::size_t size, const char* suffix) {
  const std::string& path = scratch_path(suffix);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  if (std::fclose(f) != 0) std::abort();
  return path;
}

/// A gan::Error's message names what is wrong; it must not echo the input at length (a
/// 10,000-deep JSON value once became a 20 KB line). The scratch path is the only
/// user-chosen text a message may carry whole.
inline void check_message(const std::exception& e, std::size_t limit = 2048) {
  if (std::strlen(e.what()) > limit) {
    std::fprintf(stderr, "gan::Error message of %zu characters: %.300s...\n", std::strlen(e.what()),
                 e.what());
    std::abort();
  }
}

}  // namespace gan_fuzz

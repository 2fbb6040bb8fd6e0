#pragma once
// Where the programs find the files that ship with gan (data/mnist, data/eval): beside the
// sources they were built from, else relative to the working directory.

#include <filesystem>
#include <string>

inline std::string source_path(const char* relative) {
  const std::filesystem::path built_from = std::filesystem::path(GAN_SOURCE_DIR) / relative;
  std::error_code ec;
  return std::filesystem::exists(built_from, ec) ? built_from.string() : relative;
}

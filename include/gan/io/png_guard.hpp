#pragma once
/// A check that runs before stb_image decodes a PNG: its first IDAT chunk must not be empty.
///
/// Why: Debian's stb_image (2.27) grows its buffer of compressed data only when a chunk
/// does not fit, so an empty first IDAT finds no buffer yet and stb copies its 0 bytes to a
/// null pointer (stbi__getn's memcpy), which is undefined behaviour (UBSan stops there).
/// Our fuzzer (tests/fuzz/fuzz_image.cpp) found it. Encoders do not write an empty IDAT
/// before the image data, so such a file is refused as corrupt.
///
/// Where stb reads chunks: after the 8-byte signature, one after another, each a 32-bit
/// big-endian length, a 4-byte type, the data and a 4-byte CRC, so the walk below meets
/// the chunks stb meets, in its order. A file cut short ends the walk: stb then reports it.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace gan::detail {

/// True when `data` is a PNG whose first IDAT chunk has length 0.
inline bool png_first_idat_empty(const std::uint8_t* data, std::size_t size) {
  static const std::uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size < 8 || std::memcmp(data, sig, 8) != 0) return false;
  for (std::size_t at = 8; size - at >= 8;) {
    const std::uint32_t length = (std::uint32_t(data[at]) << 24) |
                                 (std::uint32_t(data[at + 1]) << 16) |
                                 (std::uint32_t(data[at + 2]) << 8) | std::uint32_t(data[at + 3]);
    if (std::memcmp(data + at + 4, "IDAT", 4) == 0) return length == 0;
    if (length > size - at - 8) return false;  // cut short: the data ends inside the chunk
    at += 8 + std::size_t(length) + 4;
    if (at > size) return false;
  }
  return false;
}

}  // namespace gan::detail

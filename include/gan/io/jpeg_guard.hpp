#pragma once
/// A check that runs before stb_image sees a JPEG: the Huffman tables (DHT segments) must
/// declare at most 256 codes each.
///
/// Why: Debian's stb_image (2.27) sums a DHT table's 16 code-length counts without bounding
/// the sum and writes that many entries into 257- and 256-entry arrays
/// (stbi__build_huffman, and the symbol values after it): a hostile file writes past them.
/// Later stb releases refuse such a table ("bad DHT header"); this is the same test, made
/// before stb parses anything. Our fuzzer (tests/fuzz/fuzz_image.cpp) found it.
///
/// Where stb reads a DHT: as a marker segment, "FF C4" + 16-bit length, then tables of
/// (class/id byte, 16 counts, sum-of-counts symbol values) until the length is used up;
/// both before the frame header and between the scans of a progressive JPEG. The header
/// part is walked as stb walks it (segments skipped by their lengths, stray bytes between
/// segments one at a time, fill bytes 0xFF); from the first scan (SOS) on, where stb's
/// entropy decoder decides where the next marker is, every "FF C4" in the rest of the file
/// is checked, a superset of what stb can reach (entropy-coded data never holds FF C4: an
/// FF there is followed by 00 or a marker).

#include <cstddef>
#include <cstdint>

namespace gan::detail {

/// The largest number of codes any table of the DHT segment whose length field starts at
/// data[at] declares (0 when none). Past the end of the data stb reads zeros, and so does
/// this: a table cut short still counts what it holds.
inline int jpeg_dht_most_codes(const std::uint8_t* data, std::size_t size, std::size_t at) {
  const auto byte = [&](std::size_t i) -> int { return i < size ? data[i] : 0; };
  long left = (long(byte(at)) << 8 | byte(at + 1)) - 2;
  std::size_t i = at + 2;
  int most = 0;
  while (left > 0 && i < size) {
    const int kind = data[i];
    if ((kind >> 4) > 1 || (kind & 15) > 3) break;  // stb refuses the table itself
    int codes = 0;
    for (std::size_t k = 1; k <= 16; ++k) codes += byte(i + k);
    if (codes > most) most = codes;
    if (codes > 256) break;
    i += 17 + static_cast<std::size_t>(codes);
    left -= 17 + codes;
  }
  return most;
}

/// The largest number of codes a Huffman table of this JPEG declares (see the file
/// comment); more than 256 means the file is corrupt. 0 for data that is no JPEG.
inline int jpeg_most_huffman_codes(const std::uint8_t* data, std::size_t size) {
  // A JPEG, to stb, starts with 0xFF, any number of fill bytes 0xFF, then SOI (D8).
  std::size_t i = 0;
  while (i < size && data[i] == 0xFF) ++i;
  if (i == 0 || i >= size || data[i] != 0xD8) return 0;
  ++i;
  int most = 0;
  const auto check = [&](std::size_t at) {
    const int codes = jpeg_dht_most_codes(data, size, at);
    if (codes > most) most = codes;
  };
  while (i < size) {
    if (data[i] != 0xFF) {  // a stray byte between segments: stb skips it
      ++i;
      continue;
    }
    while (i < size && data[i] == 0xFF) ++i;  // fill bytes
    if (i >= size) break;
    const int marker = data[i++];
    if (marker == 0xD8 || marker == 0xD9 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
      continue;  // markers without a length
    if (marker == 0xC4) check(i);
    if (marker == 0xDA) {  // the first scan: from here on, every FF C4
      for (std::size_t j = i; j + 1 < size; ++j)
        if (data[j] == 0xFF && data[j + 1] == 0xC4) check(j + 2);
      break;
    }
    if (i + 2 > size) break;
    i += static_cast<std::size_t>(data[i]) << 8 | data[i + 1];
  }
  return most;
}

}  // namespace gan::detail

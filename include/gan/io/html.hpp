#pragma once
/// Text for self-contained HTML pages (the training report, report.hpp):
///
///   html_escape(s)           s as HTML text or a quoted attribute value: & < > " ' escaped
///   base64_encode(bytes, n)  RFC 4648 base64 (with padding), for data: URIs
///   png_data_uri(bytes)      "data:image/png;base64,..."
///   png_size(bytes, w, h)    width and height from a PNG's IHDR chunk; false if not a PNG
///   short_number(v, step)    a tick label: v rounded to the precision that `step` needs,
///                            thousands as "20k", millions as "1.5M"
///   plain_number(v)          v with 4 significant digits ("12.35", "0.0001234", "nan")
///
/// Everything the report takes from outside (option values, metric names) passes through
/// html_escape: a value such as `</script><script>alert(1)</script>` is shown, never run.
/// Nothing here throws except std::bad_alloc.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gan {

/// s with the five characters that can end a text run or a quoted attribute escaped.
inline std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// RFC 4648, section 4: the standard alphabet, '=' padding, no line breaks.
inline std::string base64_encode(const unsigned char* data, std::size_t n) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v =
        std::uint32_t(data[i]) << 16 | std::uint32_t(data[i + 1]) << 8 | std::uint32_t(data[i + 2]);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  if (i + 1 == n) {
    const std::uint32_t v = std::uint32_t(data[i]) << 16;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += "==";
  } else if (i + 2 == n) {
    const std::uint32_t v = std::uint32_t(data[i]) << 16 | std::uint32_t(data[i + 1]) << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += '=';
  }
  return out;
}

inline std::string png_data_uri(const std::vector<unsigned char>& png) {
  return "data:image/png;base64," + base64_encode(png.data(), png.size());
}

/// The PNG signature and an IHDR chunk first (PNG spec, sections 5.2 and 11.2.2): then
/// width and height are the big-endian words at bytes 16 and 20.
inline bool png_size(const std::vector<unsigned char>& png, std::uint32_t& width,
                     std::uint32_t& height) noexcept {
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (png.size() < 33) return false;
  for (int i = 0; i < 8; ++i)
    if (png[i] != signature[i]) return false;
  if (png[12] != 'I' || png[13] != 'H' || png[14] != 'D' || png[15] != 'R') return false;
  auto word = [&](std::size_t at) {
    return std::uint32_t(png[at]) << 24 | std::uint32_t(png[at + 1]) << 16 |
           std::uint32_t(png[at + 2]) << 8 | std::uint32_t(png[at + 3]);
  };
  width = word(16);
  height = word(20);
  return width > 0 && height > 0;
}

/// A tick label for v on an axis whose ticks are `step` apart: as many decimals as the
/// step needs, and thousands or millions shortened when the step is a whole number of them.
inline std::string short_number(double v, double step) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  const bool zero = std::fabs(v) < 1e-9 * std::fabs(step);  // -0 and rounding dust too
  char buf[48];
  const double a = std::fabs(step);
  const char* suffix = "";
  double scale = 1;
  if (a >= 1e6 && std::fmod(a, 1e5) == 0) {
    suffix = "M";
    scale = 1e6;
  } else if (a >= 1e3 && std::fmod(a, 1e2) == 0) {
    suffix = "k";
    scale = 1e3;
  }
  const double s = a / scale;
  int decimals = 0;
  if (s > 0 && s < 1) decimals = static_cast<int>(std::ceil(-std::log10(s) - 1e-9));
  if (s > 0 &&
      std::fabs(s * std::pow(10.0, decimals) - std::round(s * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;  // a step such as 2.5 or 0.25
  if (decimals > 12) decimals = 12;
  if (zero && scale != 1) return "0";  // not "0k"
  if (zero) v = 0;
  std::snprintf(buf, sizeof buf, "%.*f%s", decimals, v / scale, suffix);
  return buf;
}

/// v with four significant digits, for tables and cards.
inline std::string plain_number(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  char buf[48];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace gan

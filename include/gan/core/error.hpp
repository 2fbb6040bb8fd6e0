#pragma once
/// gan::Error: what a user can cause (a wrong shape, a corrupt file, an impossible
/// option) is reported as a gan::Error whose message names the component, its
/// configuration and the expected vs. actual value. GAN_ASSERT guards internal
/// invariants only; it is compiled out with NDEBUG, like assert.
///
/// A message quotes what it read from a file or a user only through detail::excerpt, so a
/// hostile input cannot turn an error into megabytes of text.

#include <cassert>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace gan {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
/// s itself when it has at most `limit` characters, else its first `limit` and "...".
inline std::string excerpt(const std::string& s, std::size_t limit = 80) {
  if (s.size() <= limit) return s;
  // Cut before a UTF-8 continuation byte's sequence so the text stays valid UTF-8.
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}
}  // namespace detail

}  // namespace gan

#define GAN_ASSERT(cond) assert(cond)

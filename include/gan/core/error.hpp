#pragma once
/// gan::Error: what a user can cause (a wrong shape, a corrupt file, an impossible
/// option) is reported as a gan::Error whose message names the component, its
/// configuration and the expected vs. actual value. GAN_ASSERT guards internal
/// invariants only; it is compiled out with NDEBUG, like assert.

#include <cassert>
#include <stdexcept>
#include <string>

namespace gan {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace gan

#define GAN_ASSERT(cond) assert(cond)

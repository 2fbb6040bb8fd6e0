#pragma once
/// Rng: a seeded random source that gives the same numbers on every platform.
/// std::normal_distribution differs between standard libraries, so uniforms and
/// normals are drawn here from std::mt19937_64 directly (docs/architecture.md, "Determinism"):
/// uniforms from the top 53 (double) or 24 (float) bits, normals by the Box-Muller
/// transform (Box & Muller 1958), keeping the second value of each pair.
/// state() / set_state() save and restore everything, for bit-exact resumed training.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

#include "gan/core/error.hpp"
#include "gan/core/tensor.hpp"

namespace gan {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}

  /// Uniform in [0, 1), 53 random bits.
  double uniform() noexcept { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }

  /// Standard normal N(0, 1).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    // u1 in (0, 1] so that log(u1) is finite.
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double two_pi = 6.283185307179586476925286766559;
    spare_ = r * std::sin(two_pi * u2);
    has_spare_ = true;
    return r * std::cos(two_pi * u2);
  }
  double normal(double mean, double stddev) noexcept { return mean + stddev * normal(); }

  /// Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) noexcept {
    // Lemire-free simple rejection keeps the sequence portable and unbiased.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t r;
    do r = engine_();
    while (r >= limit);
    return r % n;
  }

  template <class T>
  void fill_uniform(Tensor<T>& t, double lo = 0.0, double hi = 1.0) noexcept {
    for (T& v : t) v = static_cast<T>(uniform(lo, hi));
  }
  template <class T>
  void fill_normal(Tensor<T>& t, double mean = 0.0, double stddev = 1.0) noexcept {
    for (T& v : t) v = static_cast<T>(normal(mean, stddev));
  }

  /// The complete state as text (engine words and the cached normal).
  std::string state() const {
    std::ostringstream os;
    os.precision(17);
    os << engine_ << ' ' << has_spare_ << ' ' << std::hexfloat << spare_;
    return os.str();
  }
  void set_state(const std::string& s) {
    std::istringstream is(s);
    std::mt19937_64 engine;
    bool has_spare = false;
    std::string spare_text;
    is >> engine >> has_spare >> spare_text;
    // The cached normal must be a finite number written whole: "nan" would make every
    // later draw of noise NaN, and trailing text means the string is not a state() at all.
    char* end = nullptr;
    const double spare = std::strtod(spare_text.c_str(), &end);
    std::string rest;
    if (is.fail() || spare_text.empty() || *end != '\0' || !std::isfinite(spare) ||
        (is >> rest, !rest.empty()))
      throw Error("Rng::set_state: malformed state string");
    engine_ = engine;
    has_spare_ = has_spare;
    spare_ = spare;
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace gan

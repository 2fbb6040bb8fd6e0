#pragma once
/// Input perturbations of a discriminator's batch: the attacks that hardening trains
/// against (hardening.hpp) and that the robustness benchmark measures (run/robustness.hpp).
///
///   x: [N, C, H, W] -> out: x's shape, in [lo, hi] (the images' range) for fgsm and pgd
///   none      out = x
///   noise:σ   out = x + σ n, n ~ N(0, I) (Gaussian instance noise; not clipped)
///   fgsm:ε    out = clip(x + ε sign(∇x L(x)))                 (Goodfellow, Shlens & Szegedy
///                                                              2015, eq. 3)
///   pgd:ε,S,α x_0 = x + u, u ~ U[-ε, ε]^n; x_{t+1} = Π(x_t + α sign(∇x L(x_t))), S steps;
///             Π projects onto the L∞ ball |out - x| <= ε and onto [lo, hi]
///             (Madry et al. 2018, eq. 2, with their random start)
/// L is the loss the attacker raises; `gradient(at)` returns dL/d(at) (a discriminator's
/// backward gives it), a reference that stays valid until the next call. out and the
/// oracle's input must be tensors of the caller's that do not alias x.
///
/// A list of attacks is written as comma-separated names, a pgd's numbers continuing
/// its entry: "none,fgsm:0.05,pgd:0.05,10,0.01,noise:0.1".

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"

namespace gan {

enum class AttackKind { none, noise, fgsm, pgd };

struct Attack {
  AttackKind kind = AttackKind::none;
  double epsilon = 0;    ///< fgsm, pgd: the L∞ radius; noise: σ
  int steps = 0;         ///< pgd
  double step_size = 0;  ///< pgd: α

  /// The form parse_attack reads: "none", "noise:0.1", "fgsm:0.05", "pgd:0.05,10,0.01".
  std::string str() const;
  bool operator==(const Attack& o) const noexcept {
    return kind == o.kind && epsilon == o.epsilon && steps == o.steps && step_size == o.step_size;
  }
  bool operator!=(const Attack& o) const noexcept { return !(*this == o); }
};

namespace detail {

/// The shortest of %.15g / %.17g that reads back as the same double.
inline std::string round_trip(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// A whole finite decimal number, or gan::Error naming `what`.
inline double parse_number(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const double v = text.empty() ? std::nan("") : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    throw Error(what + ": '" + text.substr(0, 32) + "' is not a number");
  return v;
}

/// Splits "a,b:1,c:2,3" into entries that each start with a name: {"a", "b:1", "c:2,3"}.
inline std::vector<std::string> split_named_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string part = list.substr(start, comma - start);
    const bool continues = !part.empty() && !out.empty() &&
                           (std::isdigit(static_cast<unsigned char>(part[0])) || part[0] == '.' ||
                            part[0] == '-' || part[0] == '+');
    if (continues)
      out.back() += "," + part;
    else
      out.push_back(part);
    start = comma + 1;
  }
  return out;
}

}  // namespace detail

inline std::string Attack::str() const {
  switch (kind) {
    case AttackKind::none:
      return "none";
    case AttackKind::noise:
      return "noise:" + detail::round_trip(epsilon);
    case AttackKind::fgsm:
      return "fgsm:" + detail::round_trip(epsilon);
    case AttackKind::pgd:
      return "pgd:" + detail::round_trip(epsilon) + "," + std::to_string(steps) + "," +
             detail::round_trip(step_size);
  }
  return "none";
}

/// "none" | "noise:σ" | "fgsm:ε" | "pgd:ε,steps,α"; σ, ε, α > 0, 1 <= steps <= 1000.
inline Attack parse_attack(const std::string& text) {
  const std::string what = "attack '" + text.substr(0, 40) + "'";
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  const std::string args = colon == std::string::npos ? "" : text.substr(colon + 1);
  auto positive = [&](const std::string& t, const char* field) {
    const double v = detail::parse_number(t, what + " " + field);
    if (!(v > 0)) throw Error(what + ": " + field + " must be > 0, got " + t);
    return v;
  };
  Attack a;
  if (name == "none" && colon == std::string::npos) return a;
  if ((name == "noise" || name == "fgsm") && colon != std::string::npos) {
    a.kind = name == "noise" ? AttackKind::noise : AttackKind::fgsm;
    a.epsilon = positive(args, name == "noise" ? "sigma" : "epsilon");
    return a;
  }
  if (name == "pgd" && colon != std::string::npos) {
    const auto c1 = args.find(','), c2 = args.rfind(',');
    if (c1 == std::string::npos || c1 == c2)
      throw Error(what + ": expected pgd:epsilon,steps,step_size, e.g. pgd:0.05,10,0.01");
    a.kind = AttackKind::pgd;
    a.epsilon = positive(args.substr(0, c1), "epsilon");
    const double steps = positive(args.substr(c1 + 1, c2 - c1 - 1), "steps");
    if (steps != std::floor(steps) || steps > 1000)
      throw Error(what + ": steps must be a whole number in [1, 1000]");
    a.steps = static_cast<int>(steps);
    a.step_size = positive(args.substr(c2 + 1), "step_size");
    return a;
  }
  throw Error("unknown " + what + ": expected none, noise:sigma, fgsm:epsilon or " +
              "pgd:epsilon,steps,step_size");
}

/// A comma-separated list (see the top of this file).
inline std::vector<Attack> parse_attacks(const std::string& list) {
  std::vector<Attack> out;
  for (const std::string& part : detail::split_named_list(list)) out.push_back(parse_attack(part));
  return out;
}

inline std::string to_string(const std::vector<Attack>& attacks) {
  std::string s;
  for (std::size_t i = 0; i < attacks.size(); ++i) s += (i ? "," : "") + attacks[i].str();
  return s;
}

/// Writes the attacked batch into out (out = x for none). `gradient` is called once for
/// fgsm and `steps` times for pgd; the noise and pgd's start draw from rng.
template <class T, class Gradient>
void perturb(const Attack& a, const Tensor<T>& x, Gradient&& gradient, Rng& rng, double lo,
             double hi, Tensor<T>& out) {
  out.resize(x.shape());
  const index_t n = x.size();
  const T* src = x.data();
  T* dst = out.data();
  const T eps = static_cast<T>(a.epsilon);
  const T low = static_cast<T>(std::max(lo, -1e30)), high = static_cast<T>(std::min(hi, 1e30));
  auto clip = [low, high](T v) { return std::min(high, std::max(low, v)); };
  auto sign = [](T g) { return g > 0 ? T(1) : g < 0 ? T(-1) : T(0); };
  switch (a.kind) {
    case AttackKind::none:
      out.copy_from(x);
      return;
    case AttackKind::noise:
      for (index_t i = 0; i < n; ++i) dst[i] = src[i] + static_cast<T>(a.epsilon * rng.normal());
      return;
    case AttackKind::fgsm: {
      out.copy_from(x);
      const Tensor<T>& g = gradient(out);
      for (index_t i = 0; i < n; ++i) dst[i] = clip(src[i] + eps * sign(g[i]));
      return;
    }
    case AttackKind::pgd: {
      const T alpha = static_cast<T>(a.step_size);
      for (index_t i = 0; i < n; ++i)
        dst[i] = clip(src[i] + static_cast<T>(rng.uniform(-a.epsilon, a.epsilon)));
      for (int s = 0; s < a.steps; ++s) {
        const Tensor<T>& g = gradient(out);
        for (index_t i = 0; i < n; ++i) {
          const T v = dst[i] + alpha * sign(g[i]);
          dst[i] = clip(std::min(src[i] + eps, std::max(src[i] - eps, v)));
        }
      }
      return;
    }
  }
}

}  // namespace gan

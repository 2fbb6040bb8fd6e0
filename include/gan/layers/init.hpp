#pragma once
/// Parameter initialisation.
///
/// Layers are initialised at construction as PyTorch does (torch.nn.init, the
/// reset_parameters() of Linear / Conv2d / ConvTranspose2d): weight and bias drawn
/// from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), which is kaiming_uniform_(a = sqrt(5)).
/// fan_in is weight.size(1) * kernel area, so for ConvTranspose2d ([in, out, k, k])
/// it is out_ch * k * k, as in PyTorch. The numbers come from gan::default_rng(),
/// which gan::manual_seed() resets, like torch.manual_seed.
///
/// dcgan_init(net, rng) re-initialises as in the DCGAN paper (Radford et al. 2016,
/// section 4): every weight of rank >= 2 from N(0, 0.02), every normalisation scale
/// (a rank-1 "weight") from N(1, 0.02), and every bias to zero.

#include <cmath>
#include <cstdint>
#include <string>

#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"

namespace gan {

/// The generator that layer constructors draw their initial weights from.
inline Rng& default_rng() noexcept {
  static Rng rng(0);
  return rng;
}

/// Reseeds default_rng(), so that networks built afterwards are reproducible.
inline void manual_seed(std::uint64_t seed) noexcept { default_rng() = Rng(seed); }

/// PyTorch's default for Linear / Conv weights and biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
template <class T>
void init_uniform_fan_in(Tensor<T>& t, index_t fan_in, Rng& rng) noexcept {
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  rng.fill_uniform(t, -bound, bound);
}

namespace detail {
inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace detail

/// DCGAN initialisation of every parameter of a layer or network (see above).
template <class Net>
void dcgan_init(Net& net, Rng& rng) {
  for (auto& p : net.parameters()) {
    if (detail::ends_with(p.name, "bias")) {
      p.value.zero();
    } else if (p.value.rank() >= 2) {
      rng.fill_normal(p.value, 0.0, 0.02);
    } else {
      rng.fill_normal(p.value, 1.0, 0.02);
    }
  }
}

}  // namespace gan

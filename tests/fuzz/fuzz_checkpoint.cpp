// Fuzz target: gan::load_checkpoint(file, trainer) into real trainers, the dcgan28 GAN the
// programs train and the small conditional GAN of tiny_model.hpp (whose real checkpoint is
// the seed, so that mutations reach the name, shape, metadata and copy stages).
// Contract under test: a checkpoint loads or throws gan::Error with a bounded message, and
// a refused checkpoint leaves the trainer exactly as it was (all or nothing).

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "fuzz/tiny_model.hpp"
#include "gan/io/checkpoint.hpp"
#include "gan/models/dcgan28.hpp"
#include "gan/models/trainer.hpp"

namespace {

// Every `stride`-th state value: all of the small model's, and for dcgan28's 2.7 million
// the first of each tensor (anything more made the fuzzer ten times slower; the small
// model's full comparison covers the same all-or-nothing code).
template <class Trainer>
std::vector<float> flat_state(Trainer& t, gan::index_t stride) {
  std::vector<float> out;
  for (auto& b : t.state_tensors())
    for (gan::index_t i = 0; i < b.value.size(); i += stride) out.push_back(b.value[i]);
  return out;
}

template <class Trainer>
void try_load(const gan::SafetensorsFile& file, Trainer& trainer, gan::index_t stride) {
  const std::vector<float> before = flat_state(trainer, stride);
  const auto meta_before = trainer.state_metadata();
  try {
    gan::load_checkpoint(file, trainer);
    for (float v : flat_state(trainer, stride))
      if (!std::isfinite(v)) std::abort();
  } catch (const gan::Error& e) {
    gan_fuzz::check_message(e, 1 << 13);
    const std::vector<float> after = flat_state(trainer, stride);
    if (after.size() != before.size() ||
        std::memcmp(after.data(), before.data(), before.size() * sizeof(float)) != 0 ||
        trainer.state_metadata() != meta_before)
      std::abort();  // a refused checkpoint changed the trainer
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto tiny_g = gan_fuzz::tiny_generator();
  static auto tiny_d = gan_fuzz::tiny_discriminator();
  static gan::Trainer tiny(tiny_g, tiny_d);
  static auto g = gan::nets::dcgan28_generator<float>();
  static auto d = gan::nets::dcgan28_discriminator<float>();
  static gan::Trainer trainer(g, d);

  // Read once, tried against both trainers (load_checkpoint(path, t) is exactly
  // load_checkpoint(load_safetensors(path), t)); parsing is most of an input's time.
  const std::string& path = gan_fuzz::as_file(data, size, ".safetensors");
  try {
    const gan::SafetensorsFile file = gan::load_safetensors(path);
    try_load(file, tiny, 1);
    try_load(file, trainer, gan::index_t{1} << 40);
  } catch (const gan::Error& e) {
    gan_fuzz::check_message(e);
  }
  return 0;
}

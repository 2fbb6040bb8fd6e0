#pragma once
/// Training checkpoints: a Trainer's whole state in one safetensors file.
///
/// Tensors, named as a PyTorch state_dict would name them:
///   generator.<i>.weight, generator.<i>.bias, ... (and BatchNorm running stats)
///   generator_ema.<i>.weight, ... the moving average of the generator, when it has one
///   discriminator.<i>.weight, ...
///   optimizer_g.<i>.weight.exp_avg, optimizer_g.<i>.weight.exp_avg_sq, optimizer_d....
/// Metadata (strings): step, optimizer_g.step, optimizer_d.step, rng (the noise
/// generator's state), gan.format = "1", and whatever the caller adds (mnist_gan adds
/// the model name, classes, z_dim and the run's options).
///
/// save_checkpoint writes atomically: a crash mid-save leaves the previous file intact.
/// load_checkpoint validates the file, every tensor's name, dtype, shape and values (all
/// finite), and the metadata before it changes anything, so a refused checkpoint leaves the
/// model as it was; save_checkpoint refuses a model or optimiser state holding a NaN or an
/// infinity and leaves the previous file in place (safetensors.hpp). docs/checkpoints.md shows how
/// to load one in PyTorch.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gan/core/parameter.hpp"
#include "gan/io/safetensors.hpp"

namespace gan {

inline constexpr const char* checkpoint_format_version = "1";

namespace detail {
template <class T>
std::vector<std::pair<std::string, Tensor<T>*>> targets(std::vector<Buffer<T>> named) {
  std::vector<std::pair<std::string, Tensor<T>*>> out;
  for (auto& b : named) out.emplace_back(b.name, &b.value);
  return out;
}

inline void check_format(const SafetensorsFile& f) {
  const auto it = f.metadata().find("gan.format");
  if (it == f.metadata().end())
    throw Error("checkpoint '" + f.path() + "': not a gan checkpoint (no gan.format metadata)");
  if (it->second != checkpoint_format_version)
    throw Error("checkpoint '" + f.path() + "': format " + excerpt(it->second, 16) +
                ", this build reads " + checkpoint_format_version);
}

// The trainer's own check quotes a bad metadata value; a value from a hostile file can be
// megabytes long, so the message that leaves load_checkpoint is cut to a readable length.
template <class Trainer>
void check_metadata(const SafetensorsFile& f, const Trainer& trainer) {
  try {
    trainer.check_state_metadata(f.metadata());
  } catch (const Error& e) {
    throw Error("checkpoint '" + f.path() + "': " + excerpt(e.what(), 300));
  }
}
}  // namespace detail

/// Saves the trainer's state (models, optimisers, step, noise generator) and `extra`.
template <class Trainer>
void save_checkpoint(const std::string& path, Trainer& trainer,
                     const std::map<std::string, std::string>& extra = {}) {
  using T = typename Trainer::value_type;
  std::vector<std::pair<std::string, const Tensor<T>*>> tensors;
  for (auto& b : trainer.state_tensors()) tensors.emplace_back(b.name, &b.value);
  std::map<std::string, std::string> metadata = extra;
  for (const auto& [k, v] : trainer.state_metadata()) metadata[k] = v;
  metadata["gan.format"] = checkpoint_format_version;
  save_safetensors<T>(path, tensors, metadata);
}

/// Restores a trainer from a checkpoint already read (load_safetensors), so that one file
/// can be tried against several trainers; returns its metadata. All or nothing.
template <class Trainer>
std::map<std::string, std::string> load_checkpoint(const SafetensorsFile& f, Trainer& trainer) {
  detail::check_format(f);
  detail::check_metadata(f, trainer);
  load_into(f, detail::targets(trainer.state_tensors()));
  trainer.set_state_metadata(f.metadata());
  return f.metadata();
}

/// Restores a trainer from a checkpoint file; returns the file's metadata. All or nothing.
template <class Trainer>
std::map<std::string, std::string> load_checkpoint(const std::string& path, Trainer& trainer) {
  return load_checkpoint(load_safetensors(path), trainer);
}

/// Loads only the generator's parameters and buffers ("generator.*", or another prefix such
/// as "generator_ema." for the moving average), for sampling.
template <class Generator>
void load_generator(const SafetensorsFile& f, Generator& g,
                    const std::string& prefix = "generator.") {
  using T = typename Generator::value_type;
  std::vector<std::pair<std::string, Tensor<T>*>> targets;
  for (auto& p : g.parameters()) targets.emplace_back(prefix + p.name, &p.value);
  for (auto& b : g.buffers()) targets.emplace_back(prefix + b.name, &b.value);
  load_into(f, targets);
}

/// True when the checkpoint holds a generator under `prefix` (e.g. "generator_ema.").
inline bool has_generator(const SafetensorsFile& f, const std::string& prefix) {
  for (const auto& name : f.names())
    if (name.compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

}  // namespace gan

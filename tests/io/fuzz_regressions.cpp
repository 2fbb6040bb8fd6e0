// Every input a fuzz target of tests/fuzz found a bug with, kept in tests/fuzz/regressions/
// as the file the library read, and replayed here through the same public calls with the
// same expectations: a gan::Error of bounded length, and for checkpoints a trainer left as
// it was. The name's prefix says which reader gets it: idx-*, safetensors-*, checkpoint-*,
// image-* (read_image, grey and RGB, then resize_center_crop to 28).
// docs/reliability.md lists what each one found; the tests next to each reader's other
// tests (idx.cpp, safetensors.cpp, checkpoint.cpp) state the same cases by hand.

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz/tiny_model.hpp"
#include "gan/io/checkpoint.hpp"
#include "gan/io/idx.hpp"
#include "gan/io/image.hpp"
#include "gan/io/safetensors.hpp"
#include "gan/models/dcgan28.hpp"
#include "gan/models/trainer.hpp"

namespace fs = std::filesystem;

namespace {

// The limit the fuzz targets apply (tests/fuzz/fuzz_support.hpp), plus the path's length.
void require_short(const std::string& message, const std::string& path) {
  INFO(message.substr(0, 300));
  REQUIRE(message.size() <= 2048 + path.size());
}

template <class Trainer>
std::vector<float> state(Trainer& t) {
  std::vector<float> out;
  for (auto& b : t.state_tensors()) out.insert(out.end(), b.value.begin(), b.value.end());
  return out;
}

template <class Trainer>
void refuses_checkpoint(const std::string& path, Trainer& trainer) {
  const std::vector<float> before = state(trainer);
  try {
    gan::load_checkpoint(path, trainer);
    FAIL("loaded");
  } catch (const gan::Error& e) {
    require_short(e.what(), path);
  }
  REQUIRE(state(trainer) == before);
}

}  // namespace

TEST_CASE("every fuzz reproducer is refused with a short gan::Error", "[io][fuzz]") {
  const fs::path folder = GAN_SOURCE_DIR "/tests/fuzz/regressions";
  auto tiny_g = gan_fuzz::tiny_generator();
  auto tiny_d = gan_fuzz::tiny_discriminator();
  gan::Trainer tiny(tiny_g, tiny_d);
  auto g = gan::nets::dcgan28_generator<float>();
  auto d = gan::nets::dcgan28_discriminator<float>();
  gan::Trainer dcgan(g, d);
  int replayed = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string path = entry.path().string();
    const std::string name = entry.path().filename().string();
    INFO(name);
    ++replayed;
    if (name.rfind("idx-", 0) == 0) {
      try {
        gan::read_idx(path);
        FAIL("loaded");
      } catch (const gan::Error& e) {
        require_short(e.what(), path);
      }
    } else if (name.rfind("safetensors-", 0) == 0) {
      try {
        gan::load_safetensors(path);
        FAIL("loaded");
      } catch (const gan::Error& e) {
        require_short(e.what(), path);
      }
    } else if (name.rfind("checkpoint-", 0) == 0) {
      refuses_checkpoint(path, tiny);
      refuses_checkpoint(path, dcgan);
    } else if (name.rfind("image-", 0) == 0) {
      for (const int channels : {1, 3}) {
        gan::ImageOptions options;
        options.channels = channels;
        try {  // as fuzz_image: decoded, then resized to a model's size
          gan::resize_center_crop(gan::read_image(path, options), 28);
          FAIL("loaded");
        } catch (const gan::Error& e) {
          require_short(e.what(), path);
        }
      }
    } else {
      FAIL("unknown reproducer " << name
                                 << ": name it idx-*, safetensors-*, checkpoint-* or image-*");
    }
  }
  REQUIRE(replayed >= 4);
}

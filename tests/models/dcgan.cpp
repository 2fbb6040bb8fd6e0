#include "gan/models/dcgan.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "gan/models/builtin.hpp"
#include "gan/models/trainer.hpp"

using gan::index_t;

TEST_CASE(
    "DCGAN-32 and DCGAN-64 make and score images of their size, grey or colour, "
    "conditional or not",
    "[models][dcgan]") {
  for (index_t channels : {1, 3})
    for (index_t classes : {0, 4}) {
      auto g32 = gan::nets::dcgan32_generator<float>(16, channels, 8, classes);
      auto d32 = gan::nets::dcgan32_discriminator<float>(channels, 8, classes);
      auto g64 = gan::nets::dcgan64_generator<float>(16, channels, 4, classes);
      auto d64 = gan::nets::dcgan64_logits_discriminator<float>(channels, 4, classes);
      gan::Tensor<float> z;
      gan::Rng rng(1);
      g32.sample_noise(z, 3, rng);
      std::vector<int> labels;
      if (classes > 0) labels = {0, 3, 1};
      const gan::Tensor<float>& x32 = g32.forward(z, labels);
      CHECK(x32.shape() == gan::Shape({3, channels, 32, 32}));
      for (float v : x32) REQUIRE((v > -1.0f && v < 1.0f));  // Tanh
      const gan::Tensor<float>& s32 = d32.forward(x32, labels);
      CHECK(s32.shape() == gan::Shape({3, 1}));
      for (float v : s32) REQUIRE((v > 0.0f && v < 1.0f));  // Sigmoid
      const gan::Tensor<float>& x64 = g64.forward(z, labels);
      CHECK(x64.shape() == gan::Shape({3, channels, 64, 64}));
      CHECK(d64.forward(x64, labels).shape() == gan::Shape({3, 1}));
    }
}

TEST_CASE(
    "DCGAN-32's layers are the paper's: BatchNorm everywhere but D's first layer and G's "
    "last, widths doubling",
    "[models][dcgan]") {
  auto g = gan::nets::dcgan32_generator<float>(100, 3, 64);
  auto d = gan::nets::dcgan32_discriminator<float>(3, 64);
  const std::string gn = g.net().name(), dn = d.net().name();
  CHECK(gn.find("ConvTranspose2d(100->256, k=4, s=1, p=0, bias=false)") != std::string::npos);
  CHECK(gn.find("ConvTranspose2d(64->3, k=4, s=2, p=1, bias=false), Tanh") != std::string::npos);
  CHECK(dn.find("Conv2d(3->64, k=4, s=2, p=1, bias=false), LeakyReLU(0.2)") != std::string::npos);
  CHECK(dn.find("Conv2d(256->1, k=4, s=1, p=0, bias=false)") != std::string::npos);
  // PyTorch's DCGAN example at 64x64 with ngf = ndf = 64 has 3,576,704 generator and
  // 2,765,568 discriminator parameters (examples/dcgan/main.py, nc = 3, nz = 100).
  auto g64 = gan::nets::dcgan64_generator<float>(100, 3, 64);
  auto d64 = gan::nets::dcgan64_discriminator<float>(3, 64);
  auto count = [](auto& net) {
    index_t n = 0;
    for (auto& p : net.parameters()) n += p.value.size();
    return n;
  };
  CHECK(count(g64) == 3576704);
  CHECK(count(d64) == 2765568);
}

TEST_CASE("A short DCGAN-32 colour run moves D(x) above D(G(z))", "[models][dcgan][training]") {
  gan::models::ModelSpec spec;
  spec.model = "dcgan32";
  spec.image_size = 32;
  spec.channels = 3;
  spec.width = 8;
  spec.z_dim = 16;
  spec.seed = 2;
  gan::models::Model m = gan::models::builtin_models().make(spec);
  gan::TrainerOptions o;
  o.seed = 3;
  gan::Trainer<float> trainer(*m.generator, {m.discriminator.get()}, o);
  // "Real" data: a red square on a blue ground, in [-1, 1].
  gan::Tensor<float> real({16, 3, 32, 32});
  for (index_t n = 0; n < 16; ++n)
    for (index_t y = 0; y < 32; ++y)
      for (index_t x = 0; x < 32; ++x) {
        const bool inside = y >= 8 && y < 24 && x >= 8 && x < 24;
        real(n, 0, y, x) = inside ? 1.0f : -1.0f;
        real(n, 1, y, x) = -1.0f;
        real(n, 2, y, x) = inside ? -1.0f : 1.0f;
      }
  gan::StepStats s;
  for (int step = 0; step < 30; ++step) s = trainer.step(real);
  INFO("D(x) " << s.d_real << ", D(G(z)) " << s.d_fake);
  CHECK(std::isfinite(s.g_loss));
  CHECK(s.d_real > s.d_fake);
}

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "gan/gan.hpp"
#include "gan/io.hpp"

namespace {

const char* const images_file = GAN_SOURCE_DIR "/data/mnist/mnist-10k-images-idx3-ubyte.gz";
const char* const labels_file = GAN_SOURCE_DIR "/data/mnist/mnist-10k-labels-idx1-ubyte.gz";

struct Slice {
  gan::Tensor<float> images;
  std::vector<int> labels;
};

/// The first n bundled digits.
Slice bundled(gan::index_t n) {
  static const gan::Tensor<float> all = gan::read_idx_images<float>(images_file);
  static const std::vector<std::uint8_t> labels = gan::read_idx_labels(labels_file);
  Slice s;
  s.images.resize({n, 1, 28, 28});
  std::copy_n(all.data(), s.images.size(), s.images.data());
  s.labels.assign(labels.begin(), labels.begin() + n);
  return s;
}

/// Batch b of size bs from the slice, cycling (deterministic from the step number).
void batch(const Slice& s, gan::index_t b, gan::index_t bs, gan::Tensor<float>& out,
           std::vector<int>& labels) {
  const gan::index_t n = s.images.dim(0), per = 28 * 28;
  out.resize({bs, 1, 28, 28});
  labels.clear();
  for (gan::index_t i = 0; i < bs; ++i) {
    const gan::index_t src = (b * bs + i) % n;
    std::copy_n(s.images.data() + src * per, per, out.data() + i * per);
    labels.push_back(s.labels[static_cast<std::size_t>(src)]);
  }
}

/// Mean squared distance between the mean image of a and of b (both [N, 1, 28, 28]).
double mean_image_distance(const gan::Tensor<float>& a, const gan::Tensor<float>& b) {
  const gan::index_t per = 28 * 28;
  double d = 0;
  for (gan::index_t p = 0; p < per; ++p) {
    double ma = 0, mb = 0;
    for (gan::index_t i = 0; i < a.dim(0); ++i) ma += a[i * per + p];
    for (gan::index_t i = 0; i < b.dim(0); ++i) mb += b[i * per + p];
    ma /= static_cast<double>(a.dim(0));
    mb /= static_cast<double>(b.dim(0));
    d += (ma - mb) * (ma - mb);
  }
  return d / static_cast<double>(per);
}

}  // namespace

TEST_CASE("A short MLP GAN run moves D(x) and D(G(z)) the way a working GAN does",
          "[models][trainer][training]") {
  const Slice data = bundled(1024);
  gan::manual_seed(3);
  auto g = gan::nets::mlp28_generator<float>();
  auto d = gan::nets::mlp28_discriminator<float>();
  gan::TrainerOptions o;
  o.seed = 5;
  o.lr_g = o.lr_d = 1e-3;
  gan::Trainer trainer(g, d, o);

  gan::Tensor<float> real, z;
  std::vector<int> labels;
  gan::Rng rng(9);
  g.sample_noise(z, 256, rng);
  const double before = mean_image_distance(g.forward(z), data.images);

  double early_gap = 0, late_real = 0, late_fake = 0;
  const int steps = 400;
  for (int step = 0; step < steps; ++step) {
    batch(data, step, 64, real, labels);
    const gan::StepStats s = trainer.step(real);
    REQUIRE(std::isfinite(s.d_loss));
    REQUIRE(std::isfinite(s.g_loss));
    if (step < 5) REQUIRE(std::abs(s.d_real - 0.5) < 0.2);  // an untrained D cannot tell
    if (step >= 20 && step < 60) early_gap += (s.d_real - s.d_fake) / 40;
    if (step >= steps - 50) {
      late_real += s.d_real / 50;
      late_fake += s.d_fake / 50;
    }
  }
  // D learns to tell real from fake early on...
  REQUIRE(early_gap > 0.2);
  // ...and G keeps up: D does not win outright, D(G(z)) stays well away from 0.
  REQUIRE(late_fake > 0.05);
  REQUIRE(late_real < 0.99);
  // G's samples moved towards the data: their mean image is much closer to the digits'.
  const double after = mean_image_distance(g.forward(z), data.images);
  INFO("mean-image distance before " << before << ", after " << after);
  REQUIRE(after < 0.5 * before);
  REQUIRE(trainer.steps() == steps);
}

TEST_CASE("A conditional GAN learns what each label looks like", "[models][trainer][training]") {
  const Slice data = bundled(2048);
  gan::manual_seed(4);
  auto g = gan::nets::mlp28_generator<float>(100, 10);
  auto d = gan::nets::mlp28_discriminator<float>(10);
  gan::TrainerOptions o;
  o.lr_g = o.lr_d = 1e-3;
  gan::Trainer trainer(g, d, o);
  gan::Tensor<float> real;
  std::vector<int> labels;
  for (int step = 0; step < 600; ++step) {
    batch(data, step, 64, real, labels);
    trainer.step(real, labels);
  }
  // For each class c, the mean generated c must be nearer the mean real c than the mean
  // real images of the other classes are, on average.
  std::vector<std::vector<double>> real_mean(10, std::vector<double>(784, 0.0));
  std::vector<double> count(10, 0.0);
  for (gan::index_t i = 0; i < data.images.dim(0); ++i) {
    const int k = data.labels[static_cast<std::size_t>(i)];
    count[static_cast<std::size_t>(k)] += 1;
    for (gan::index_t p = 0; p < 784; ++p)
      real_mean[static_cast<std::size_t>(k)][static_cast<std::size_t>(p)] +=
          data.images[i * 784 + p];
  }
  for (int k = 0; k < 10; ++k)
    for (double& v : real_mean[static_cast<std::size_t>(k)])
      v /= count[static_cast<std::size_t>(k)];
  gan::Rng rng(2);
  gan::Tensor<float> z;
  g.sample_noise(z, 64, rng);
  int right = 0;
  for (int c = 0; c < 10; ++c) {
    const gan::Tensor<float>& fake = g.forward(z, std::vector<int>(64, c));
    std::vector<double> fake_mean(784, 0.0);
    for (gan::index_t i = 0; i < 64; ++i)
      for (gan::index_t p = 0; p < 784; ++p)
        fake_mean[static_cast<std::size_t>(p)] += fake[i * 784 + p] / 64.0;
    double own = 0, others = 0;
    for (int k = 0; k < 10; ++k) {
      double dist = 0;
      for (std::size_t p = 0; p < 784; ++p) {
        const double d = fake_mean[p] - real_mean[static_cast<std::size_t>(k)][p];
        dist += d * d;
      }
      if (k == c)
        own = dist;
      else
        others += dist / 9;
    }
    right += own < others;
  }
  REQUIRE(right >= 9);
}

TEST_CASE("Trainer refuses bad options and mismatched models", "[models][trainer][errors]") {
  auto g = gan::nets::mlp28_generator<float>(100, 10);
  auto d = gan::nets::mlp28_discriminator<float>(0);
  REQUIRE_THROWS_WITH(gan::Trainer(g, d), Catch::Contains("classes"));
  auto d10 = gan::nets::mlp28_discriminator<float>(10);
  gan::TrainerOptions o;
  o.d_steps = 0;
  REQUIRE_THROWS_WITH(gan::Trainer(g, d10, o), Catch::Contains("d_steps"));
  o = {};
  o.label_smoothing = 1.5;
  REQUIRE_THROWS_WITH(gan::Trainer(g, d10, o), Catch::Contains("label_smoothing"));
  REQUIRE_THROWS_WITH(gan::parse_loss("wgan"), Catch::Contains("bce, lsgan or hinge"));
  gan::Trainer trainer(g, d10);
  gan::Tensor<float> small({4, 1, 14, 14});
  REQUIRE_THROWS_WITH(trainer.step(small, {1, 2, 3, 4}),
                      Catch::Contains("[4, 1, 28, 28]") && Catch::Contains("[4, 1, 14, 14]"));
}

TEST_CASE("lsgan, and bce with a reconstruction term, train without NaN", "[models][trainer]") {
  const Slice data = bundled(256);
  for (const char* loss : {"lsgan", "bce+recon"}) {
    auto g = gan::nets::mlp28_generator<float>(100, 10);
    auto d = gan::nets::mlp28_discriminator<float>(10);
    gan::TrainerOptions o;
    const bool recon = std::string(loss) == "bce+recon";
    o.loss = recon ? gan::Loss::bce : gan::parse_loss(loss);
    o.recon = recon ? 5 : 0;
    gan::Trainer trainer(g, d, o);
    gan::Tensor<float> real;
    std::vector<int> labels;
    // How far G's images for a batch's labels are from that batch's images.
    gan::Tensor<float> z, grad;
    gan::Rng rng(3);
    g.sample_noise(z, 32, rng);
    batch(data, 0, 32, real, labels);
    const double before = gan::mse_loss(g.forward(z, labels), real, grad);
    for (int step = 0; step < 100; ++step) {
      batch(data, step, 32, real, labels);
      const auto s = trainer.step(real, labels);
      REQUIRE(std::isfinite(s.g_loss));
      REQUIRE(std::isfinite(s.d_loss));
    }
    batch(data, 0, 32, real, labels);
    const double after = gan::mse_loss(g.forward(z, labels), real, grad);
    INFO(loss << ": MSE(G(z, labels), x) before " << before << ", after " << after);
    REQUIRE(after < before);
    // The reconstruction term pulls each fake towards its paired real image: much closer.
    if (recon) REQUIRE(after < 0.5 * before);
  }
}

TEST_CASE("The hinge loss needs a logits discriminator and smoothing-free targets",
          "[models][trainer]") {
  auto g = gan::nets::dcgan28_generator<float>(16);
  auto d = gan::nets::dcgan28_discriminator<float>();
  gan::TrainerOptions o;
  o.loss = gan::Loss::hinge;
  REQUIRE_THROWS_WITH(gan::Trainer(g, d, o), Catch::Contains("hinge loss needs raw scores"));
  auto dl = gan::nets::dcgan28_logits_discriminator<float>();
  o.label_smoothing = 0.1;
  REQUIRE_THROWS_WITH(gan::Trainer(g, dl, o), Catch::Contains("no meaning for the hinge loss"));
}

TEST_CASE(
    "Every loss with DiffAugment, spectral norm and an EMA generator trains: D separates "
    "real from fake and nothing turns non-finite",
    "[models][trainer][training]") {
  const Slice data = bundled(512);
  for (gan::Loss loss : {gan::Loss::bce, gan::Loss::lsgan, gan::Loss::hinge}) {
    gan::manual_seed(4);
    auto g = gan::nets::dcgan28_bn_generator<float>(32);
    auto shadow = gan::nets::dcgan28_bn_generator<float>(32);
    auto d = gan::nets::dcgan28_sn_logits_discriminator<float>();
    gan::TrainerOptions o;
    o.loss = loss;
    o.augment = gan::AugmentPolicy::parse("translation,cutout");
    gan::Trainer trainer(g, d, o);
    auto view = gan::erase_generator_ref(shadow);
    trainer.set_ema(*view, {});
    REQUIRE(&trainer.sampler() == view.get());
    gan::Tensor<float> real;
    std::vector<int> labels;
    gan::StepStats s;
    for (int step = 0; step < 60; ++step) {
      batch(data, step, 32, real, labels);
      s = trainer.step(real);
      REQUIRE(std::isfinite(s.d_loss));
      REQUIRE(std::isfinite(s.g_loss));
    }
    INFO(gan::to_string(loss) << ": D(x) " << s.d_real << ", D(G(z)) " << s.d_fake);
    CHECK(s.d_real > s.d_fake);
  }
}

TEST_CASE(
    "A step whose gradients turn non-finite is refused before its update, naming the "
    "step and the network",
    "[models][trainer]") {
  gan::manual_seed(2);
  auto g = gan::nets::mlp28_generator<float>(8);
  auto d = gan::nets::mlp28_discriminator<float>();
  gan::Trainer trainer(g, d);
  gan::Tensor<float> real({4, 1, 28, 28});
  real.fill(0.5f);
  trainer.step(real);
  // A poisoned discriminator weight makes every gradient NaN.
  auto params = d.parameters();
  const gan::Tensor<float> before = params[1].value;
  params[1].value[0] = std::numeric_limits<float>::infinity();
  const auto g_before = g.parameters()[0].value;
  try {
    trainer.step(real);
    FAIL("a non-finite step was applied");
  } catch (const gan::NonFiniteError& e) {
    CHECK(e.step() == 2);
    CHECK(e.network() == "discriminator");
    CHECK(std::string(e.what()).find("step 2: discriminator's") != std::string::npos);
  }
  // Neither network moved: D's update was refused, G's never ran.
  const auto after = d.parameters()[1].value;
  for (gan::index_t i = 1; i < after.size(); ++i) REQUIRE(after[i] == before[i]);
  const auto g_after = g.parameters()[0].value;
  for (gan::index_t i = 0; i < g_after.size(); ++i) REQUIRE(g_after[i] == g_before[i]);
  CHECK(trainer.steps() == 1);
}

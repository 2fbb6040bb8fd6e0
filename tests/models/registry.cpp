#include "gan/models/registry.hpp"

#include <catch2/catch.hpp>

#include "gan/models/builtin.hpp"

using gan::models::ModelSpec;

namespace {
const gan::models::Registry& models() { return gan::models::builtin_models(); }
}  // namespace

TEST_CASE("Registry: every model makes the image shape it registers, in its range",
          "[models][registry]") {
  for (const auto& e : models().entries())
    for (gan::index_t size : e.sizes)
      for (gan::index_t channels : e.channels) {
        ModelSpec spec;
        spec.model = e.name;
        spec.image_size = size;
        spec.channels = channels;
        spec.classes = 3;
        spec.z_dim = 8;
        spec.width = e.default_width ? 4 : 0;
        gan::models::Model m = models().make(spec);
        INFO(e.name << " " << channels << "x" << size);
        gan::Tensor<float> z;
        gan::Rng rng(0);
        m.generator->sample_noise(z, 2, rng);
        const std::vector<int> labels = {0, 2};
        const gan::Tensor<float>& x = m.generator->forward(z, labels);
        CHECK(x.shape() == gan::Shape({2, channels, size, size}));
        const float lo = m.range == gan::data::Range::unit ? 0.0f : -1.0f;
        for (float v : x) REQUIRE((v >= lo && v <= 1.0f));
        CHECK(m.discriminator->forward(x, labels).shape() == gan::Shape({2, 1}));
        CHECK(m.spec.width == spec.width);
      }
}

TEST_CASE("Registry: the same seed builds the same weights, another seed others",
          "[models][registry]") {
  ModelSpec spec;
  spec.seed = 7;
  auto a = models().make(spec), b = models().make(spec);
  spec.seed = 8;
  auto c = models().make(spec);
  const auto pa = a.generator->parameters(), pb = b.generator->parameters(),
             pc = c.generator->parameters();
  REQUIRE(pa.size() == pb.size());
  bool all_same = true, any_differs = false;
  for (std::size_t i = 0; i < pa.size(); ++i)
    for (gan::index_t j = 0; j < pa[i].value.size(); ++j) {
      all_same = all_same && pa[i].value[j] == pb[i].value[j];
      any_differs = any_differs || pa[i].value[j] != pc[i].value[j];
    }
  CHECK(all_same);
  CHECK(any_differs);
}

TEST_CASE("Registry: shapes a model cannot make and unknown names are refused with what it can",
          "[models][registry]") {
  ModelSpec spec;
  spec.model = "resnet";
  CHECK_THROWS_WITH(models().make(spec),
                    Catch::Contains("unknown model 'resnet': expected dcgan28-bn"));
  spec.model = "dcgan28";
  spec.image_size = 64;
  CHECK_THROWS_WITH(models().make(spec), Catch::Contains("makes 28 pixel images, not 64"));
  spec.image_size = 28;
  spec.channels = 3;
  CHECK_THROWS_WITH(models().make(spec), Catch::Contains("images of 1 channels, not 3"));
  spec.model = "dcgan32";
  spec.image_size = 32;
  spec.width = 5000;
  CHECK_THROWS_WITH(models().make(spec), Catch::Contains("width must be in [1, 1024]"));
  spec.model = "mlp";
  spec.image_size = 28;
  spec.channels = 1;
  spec.width = 0;
  spec.d_output = gan::Output::logits;
  CHECK_THROWS_WITH(models().make(spec),
                    Catch::Contains("no logits or spectral-norm discriminator"));
  spec.d_output = gan::Output::probability;
  spec.projection = true;
  CHECK_THROWS_WITH(models().make(spec), Catch::Contains("for conditional models"));
  spec.classes = 10;
  CHECK_THROWS_WITH(models().make(spec),
                    Catch::Contains("model mlp has no projection discriminator: use dcgan28-bn or "
                                    "dcgan28, or --conditioning planes"));
}

TEST_CASE("Registry: a conditional dcgan28 with projection builds and names its embedding",
          "[models][registry][projection]") {
  ModelSpec spec;
  spec.classes = 10;
  spec.projection = true;
  for (bool sn : {false, true}) {
    spec.spectral_norm = sn;
    gan::models::Model m = models().make(spec);
    REQUIRE(m.discriminator->parameters().back().name == "embed.weight");
    gan::Tensor<float> images({2, 1, 28, 28});
    REQUIRE(m.discriminator->forward(images, {4, 9}).shape() == gan::Shape{2, 1});
  }
}

TEST_CASE(
    "Registry: a model's identity round-trips through checkpoint metadata, and bad values "
    "are named",
    "[models][registry]") {
  ModelSpec spec;
  spec.model = "dcgan64";
  spec.image_size = 64;
  spec.channels = 3;
  spec.classes = 12;
  spec.z_dim = 128;
  spec.width = 32;
  spec.d_output = gan::Output::logits;
  auto meta = gan::models::identity(spec);
  CHECK(meta.at("gan.image_shape") == "3x64x64");
  const ModelSpec back = gan::models::spec_from_identity(meta, "ckpt");
  CHECK(gan::models::identity(back) == meta);
  ModelSpec projected = spec;
  projected.projection = true;
  auto projected_meta = gan::models::identity(projected);
  CHECK(projected_meta.at("gan.conditioning") == "projection");
  CHECK(gan::models::spec_from_identity(projected_meta, "ckpt").projection);
  projected_meta["gan.conditioning"] = "planez";
  CHECK_THROWS_WITH(gan::models::spec_from_identity(projected_meta, "ckpt"),
                    Catch::Contains("gan.conditioning is 'planez', expected planes or projection"));

  // A checkpoint of mnist_gan, before image shapes and widths were recorded.
  const ModelSpec old = gan::models::spec_from_identity(
      {{"gan.model", "dcgan28-bn"}, {"gan.classes", "10"}, {"gan.z_dim", "100"}}, "old");
  CHECK(old.image_size == 28);
  CHECK(old.channels == 1);
  CHECK(old.d_output == gan::Output::probability);
  CHECK_FALSE(old.projection);

  meta["gan.z_dim"] = "1e30";
  CHECK_THROWS_WITH(
      gan::models::spec_from_identity(meta, "ckpt"),
      Catch::Contains("ckpt': gan.z_dim is '1e30', expected a whole number in [1, 4096]"));
  meta["gan.z_dim"] = "99999999999999999999999";
  CHECK_THROWS_WITH(gan::models::spec_from_identity(meta, "ckpt"), Catch::Contains("gan.z_dim"));
  meta["gan.z_dim"] = "128";
  meta["gan.image_shape"] = "3x64x32";
  CHECK_THROWS_WITH(gan::models::spec_from_identity(meta, "ckpt"),
                    Catch::Contains("expected CxSxS"));
  meta.erase("gan.model");
  CHECK_THROWS_WITH(gan::models::spec_from_identity(meta, "ckpt"),
                    Catch::Contains("does not name its model (no gan.model)"));
}

// Trainer with K discriminators (trainer.hpp, with aggregate.hpp and hardening.hpp): K = 1
// is the single-discriminator step bit for bit, K = 3 trains, hardens and resumes exactly.

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <memory>

#include "gan/gan.hpp"
#include "gan/io.hpp"
#include "gan/models/half_discriminator.hpp"

namespace {

using gan::Tensor;

void batch(std::int64_t s, gan::index_t n, Tensor<float>& x, std::vector<int>& labels,
           gan::index_t classes) {
  x.resize({n, 1, 28, 28});
  gan::Rng rng(500 + static_cast<std::uint64_t>(s));
  rng.fill_uniform(x);
  labels.clear();
  for (gan::index_t i = 0; i < n && classes > 0; ++i)
    labels.push_back(static_cast<int>(rng.below(static_cast<std::uint64_t>(classes))));
}

bool same_bits(const Tensor<float>& a, const Tensor<float>& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.size())) == 0;
}

template <class Net>
bool same_parameters(Net& a, Net& b) {
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (!same_bits(pa[i].value, pb[i].value)) return false;
  return true;
}

/// The single-discriminator step as the Trainer took it before it had K discriminators,
/// written out from the public pieces (Goodfellow et al. 2014, Algorithm 1, with Adam).
template <class G, class D>
void reference_steps(G& g, D& d, const gan::TrainerOptions& o, int steps, gan::index_t classes) {
  gan::Rng rng(o.seed);
  gan::AdamOptions a;
  a.beta1 = o.beta1;
  a.beta2 = o.beta2;
  a.lr = o.lr_g;
  gan::Adam<float> opt_g(g.parameters(), a);
  a.lr = o.lr_d;
  gan::Adam<float> opt_d(d.parameters(), a);
  Tensor<float> real, z, grad, g_grad;
  std::vector<int> labels;
  for (int s = 0; s < steps; ++s) {
    batch(s, 16, real, labels, classes);
    g.sample_noise(z, 16, rng);
    const Tensor<float>& fake = g.forward(z, labels);
    d.zero_grad();
    gan::discriminator_loss(o.loss, d.output(), d.forward(real, labels), true, o.label_smoothing,
                            grad);
    d.backward(grad);
    gan::discriminator_loss(o.loss, d.output(), d.forward(fake, labels), false, 0.0, grad);
    d.backward(grad);
    opt_d.step();
    g.zero_grad();
    d.set_requires_grad(false);
    gan::generator_loss(o.loss, d.output(), d.forward(fake, labels), grad);
    g_grad = d.backward(grad);
    d.set_requires_grad(true);
    g.backward(g_grad);
    opt_g.step();
  }
}

}  // namespace

TEST_CASE("K = 1 trains bit for bit as the single-discriminator step, for every aggregate",
          "[models][trainer][discriminators]") {
  for (const char* aggregate : {"mean", "max", "softmean:2", "auto"}) {
    for (const bool conditional : {false, true}) {
      INFO(aggregate << (conditional ? ", conditional" : ""));
      const gan::index_t classes = conditional ? 10 : 0;
      gan::TrainerOptions o;
      o.seed = 21;
      o.label_smoothing = 0.1;
      o.loss = conditional ? gan::Loss::lsgan : gan::Loss::bce;
      o.aggregate = gan::parse_aggregate(aggregate);
      o.hardening.attacks = gan::parse_attacks("none");
      gan::manual_seed(3);
      auto g1 = gan::nets::mlp28_generator<float>(100, classes);
      auto d1 = gan::nets::mlp28_discriminator<float>(classes);
      gan::manual_seed(3);
      auto g2 = gan::nets::mlp28_generator<float>(100, classes);
      auto d2 = gan::nets::mlp28_discriminator<float>(classes);
      reference_steps(g1, d1, o, 4, classes);

      auto eg = gan::erase_generator_ref(g2);
      auto ed = gan::erase_discriminator_ref(d2);
      gan::Trainer<float> trainer(*eg, {ed.get()}, o);
      Tensor<float> real;
      std::vector<int> labels;
      for (int s = 0; s < 4; ++s) {
        batch(s, 16, real, labels, classes);
        trainer.step(real, labels);
      }
      REQUIRE(same_parameters(g1, g2));
      REQUIRE(same_parameters(d1, d2));
    }
  }
}

namespace {

/// A K = 3 trainer of mixed discriminators on dcgan28's generator: the dcgan28
/// discriminator, an MLP and one on half-size images.
struct ThreeCritics {
  int seeded;  // seeds the weights of the nets below, in their order
  decltype(gan::nets::dcgan28_bn_generator<float>()) g;
  decltype(gan::nets::dcgan28_discriminator<float>()) d0;
  decltype(gan::nets::mlp28_discriminator<float>()) d1;
  decltype(gan::nets::half_discriminator<float>(1, 28)) d2;
  std::unique_ptr<gan::AnyGenerator<float>> eg;
  std::vector<std::unique_ptr<gan::AnyDiscriminator<float>>> eds;
  std::unique_ptr<gan::Trainer<float>> trainer;

  explicit ThreeCritics(const gan::TrainerOptions& o, std::uint64_t weights_seed = 1)
      : seeded((gan::manual_seed(weights_seed), 0)),
        g(gan::nets::dcgan28_bn_generator<float>()),
        d0(gan::nets::dcgan28_discriminator<float>()),
        d1(gan::nets::mlp28_discriminator<float>()),
        d2(gan::nets::half_discriminator<float>(1, 28)),
        eg(gan::erase_generator_ref(g)) {
    eds.push_back(gan::erase_discriminator_ref(d0));
    eds.push_back(gan::erase_discriminator_ref(d1));
    eds.push_back(gan::erase_discriminator_ref(d2));
    trainer = std::make_unique<gan::Trainer<float>>(
        *eg, std::vector<gan::AnyDiscriminator<float>*>{eds[0].get(), eds[1].get(), eds[2].get()},
        o);
  }
  void run_until(std::int64_t until) {
    Tensor<float> x;
    std::vector<int> labels;
    while (trainer->steps() < until) {
      batch(trainer->steps(), 16, x, labels, 0);
      const gan::StepStats s = trainer->step(x);
      REQUIRE(std::isfinite(s.g_loss));
      REQUIRE(std::isfinite(s.d_loss));
    }
  }
  std::vector<Tensor<float>> snapshot() {
    std::vector<Tensor<float>> out;
    for (auto& b : trainer->state_tensors()) out.push_back(b.value);
    return out;
  }
};

gan::TrainerOptions hardened_options(const char* aggregate) {
  gan::TrainerOptions o;
  o.seed = 9;
  o.aggregate = gan::parse_aggregate(aggregate);
  o.hardening.attacks = gan::parse_attacks("pgd:0.05,2,0.03,fgsm:0.05,noise:0.1");
  o.hardening.lo = 0;
  o.hardening.hi = 1;
  return o;
}

bool same(const std::vector<Tensor<float>>& a, const std::vector<Tensor<float>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_bits(a[i], b[i])) return false;
  return true;
}

}  // namespace

TEST_CASE("K = 3 hardened discriminators of three architectures train; the attacks matter",
          "[models][trainer][discriminators]") {
  ThreeCritics hardened(hardened_options("softmean:1"));
  hardened.run_until(3);
  REQUIRE(hardened.trainer->discriminator_count() == 3);
  // The same run without attacks ends elsewhere for every discriminator.
  gan::TrainerOptions plain = hardened_options("softmean:1");
  plain.hardening.attacks.clear();
  ThreeCritics clean(plain);
  clean.run_until(3);
  REQUIRE_FALSE(same_parameters(hardened.d0, clean.d0));
  REQUIRE_FALSE(same_parameters(hardened.d1, clean.d1));
  REQUIRE_FALSE(same_parameters(hardened.d2, clean.d2));
  // Each discriminator's loss is reported; the generator's is the softmean of its three.
  const auto& agg = hardened.trainer->aggregate();
  double f = 0;
  for (std::size_t k = 0; k < 3; ++k)
    f += agg.mixture()[k] * hardened.trainer->generator_loss_of(k);
  REQUIRE(f == Approx(gan::Aggregate(agg.options(), 3)
                          .combine({hardened.trainer->generator_loss_of(0),
                                    hardened.trainer->generator_loss_of(1),
                                    hardened.trainer->generator_loss_of(2)})));
}

TEST_CASE("A K = 3 run with auto and hardening resumes bit-identically from a checkpoint",
          "[models][trainer][discriminators][resume]") {
  const auto dir = std::filesystem::temp_directory_path() / "gan_trainer_discriminators";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "k3.safetensors").string();
  const gan::TrainerOptions o = hardened_options("auto:1,0.5,0.001");

  ThreeCritics straight(o);
  straight.run_until(5);

  ThreeCritics first(o);
  first.run_until(3);
  gan::save_checkpoint(path, *first.trainer);
  const auto f = gan::load_safetensors(path);
  REQUIRE(f.metadata().at("discriminators") == "3");
  REQUIRE(f.metadata().at("aggregate") == "auto:1,0.5,0.001");
  REQUIRE(f.metadata().at("d_attacks") == "pgd:0.05,2,0.03,fgsm:0.05,noise:0.1");
  REQUIRE(f.metadata().count("aggregate.lambda") == 1);
  REQUIRE(f.metadata().count("d_attack_0.rng") == 1);
  REQUIRE(f.metadata().count("d_attack_1.rng") == 1);
  REQUIRE(f.contains("discriminator_2.6.weight"));
  REQUIRE(f.contains("optimizer_d_2.6.weight.exp_avg"));
  // λ moved (the learning rate is large), so resuming must restore it.
  REQUIRE(first.trainer->aggregate().lambda() != 1.0);

  // Other weights, another noise seed: everything must come from the file.
  ThreeCritics resumed(o, 77);
  gan::load_checkpoint(path, *resumed.trainer);
  REQUIRE(resumed.trainer->steps() == 3);
  resumed.run_until(5);
  REQUIRE(same(resumed.snapshot(), straight.snapshot()));
  REQUIRE(resumed.trainer->aggregate().lambda() == straight.trainer->aggregate().lambda());

  // Control: without the checkpoint the runs differ, so the comparison can fail.
  ThreeCritics unrelated(o, 77);
  unrelated.run_until(5);
  REQUIRE_FALSE(same(unrelated.snapshot(), straight.snapshot()));
}

TEST_CASE("A checkpoint of another K, aggregate or attack list is refused, the trainer untouched",
          "[models][trainer][discriminators][errors]") {
  const auto dir = std::filesystem::temp_directory_path() / "gan_trainer_discriminators";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "k3_refuse.safetensors").string();
  ThreeCritics three(hardened_options("softmean:1"));
  three.run_until(1);
  gan::save_checkpoint(path, *three.trainer);

  auto g = gan::nets::dcgan28_bn_generator<float>();
  auto d = gan::nets::dcgan28_discriminator<float>();
  gan::Trainer one(g, d);
  REQUIRE_THROWS_WITH(gan::load_checkpoint(path, one),
                      Catch::Contains("the checkpoint has 3 discriminators, this trainer 1"));
  REQUIRE(one.steps() == 0);

  ThreeCritics other_aggregate(hardened_options("max"));
  const auto before = other_aggregate.snapshot();
  REQUIRE_THROWS_WITH(gan::load_checkpoint(path, *other_aggregate.trainer),
                      Catch::Contains("aggregate is softmean:1, this trainer's max"));
  REQUIRE(same(other_aggregate.snapshot(), before));

  gan::TrainerOptions o = hardened_options("softmean:1");
  o.hardening.attacks = gan::parse_attacks("fgsm:0.1");
  ThreeCritics other_attacks(o);
  REQUIRE_THROWS_WITH(
      gan::load_checkpoint(path, *other_attacks.trainer),
      Catch::Contains("attacks are pgd:0.05,2,0.03,fgsm:0.05,noise:0.1, this trainer's "
                      "fgsm:0.1,fgsm:0.1,fgsm:0.1"));
}

TEST_CASE("Trainer refuses an attack list that does not fit K", "[models][trainer][errors]") {
  gan::TrainerOptions o;
  o.hardening.attacks = gan::parse_attacks("none,fgsm:0.1");
  REQUIRE_THROWS_WITH(ThreeCritics(o), Catch::Contains("2 discriminator attacks") &&
                                           Catch::Contains("for 3 discriminators"));
  o.hardening.attacks.clear();
  o.hardening.lo = 1;
  o.hardening.hi = 0;
  REQUIRE_THROWS_WITH(ThreeCritics(o), Catch::Contains("lo < hi"));
}

TEST_CASE("Hardening trains D on the attacked batch and leaves its gradients alone",
          "[models][hardening]") {
  gan::manual_seed(4);
  auto d = gan::nets::dcgan28_discriminator<float>();
  auto ed = gan::erase_discriminator_ref(d);
  Tensor<float> x;
  std::vector<int> labels;
  batch(0, 8, x, labels, 0);
  gan::Hardening<float> none(gan::Attack{}, 1, 0, 1);
  REQUIRE(&none.apply(*ed, x, {}, gan::Loss::bce, true, 0) == &x);
  gan::Hardening<float> fgsm(gan::parse_attack("fgsm:0.05"), 1, 0, 1);
  d.zero_grad();
  Tensor<float> grad;
  const double clean =
      gan::discriminator_loss(gan::Loss::bce, d.output(), d.forward(x), false, 0, grad);
  const Tensor<float>& attacked = fgsm.apply(*ed, x, {}, gan::Loss::bce, false, 0);
  for (const auto& p : d.parameters())
    for (gan::index_t i = 0; i < p.grad.size(); ++i) REQUIRE(p.grad[i] == 0.0f);
  REQUIRE(gan::discriminator_loss(gan::Loss::bce, d.output(), d.forward(attacked), false, 0, grad) >
          clean);
  // Checkpointed noise: the rng is the hardening's own and restores.
  gan::Hardening<float> noisy(gan::parse_attack("noise:0.1"), 5, 0, 1);
  const std::string state = noisy.rng().state();
  const Tensor<float> first = noisy.apply(*ed, x, {}, gan::Loss::bce, true, 0);
  noisy.rng().set_state(state);
  REQUIRE(same_bits(noisy.apply(*ed, x, {}, gan::Loss::bce, true, 0), first));
}

// Data-parallel training through the Trainer's DataParallel hooks, with threads standing
// in for processes: P trainers, each on its share of every global batch, joined by an
// in-process sum in rank order (what MPI_Allreduce computes; for two, a + b in either
// order). No MPI needed, so this runs in every build, sanitizers included;
// tests/dist/ runs the same through MPI.
#include "gan/models/data_parallel.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "gan/gan.hpp"

namespace {

/// A barrier and a rank-ordered in-place sum for P threads.
class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), slots_(static_cast<std::size_t>(size)) {}

  template <class V>
  void sum(int rank, V* data, std::size_t n) {
    auto& mine = slots_[static_cast<std::size_t>(rank)];
    mine.assign(reinterpret_cast<const unsigned char*>(data),
                reinterpret_cast<const unsigned char*>(data + n));
    wait();
    for (std::size_t i = 0; i < n; ++i) {
      V s = 0;
      for (const auto& slot : slots_) {
        V v;
        std::memcpy(&v, slot.data() + i * sizeof(V), sizeof(V));
        s += v;
      }
      data[i] = s;
    }
    wait();  // nobody refills a slot before everyone has read them all
  }

  /// The Trainer's hooks for one rank (count, first, global_batch left to the caller).
  gan::DataParallel<float> hooks(int rank) {
    gan::DataParallel<float> h;
    h.reduce_gradients = [this, rank](const std::vector<gan::Parameter<float>>& params,
                                      double& loss, double weight) {
      std::vector<float> bucket;
      for (const auto& p : params)
        for (float g : p.grad) bucket.push_back(static_cast<float>(weight) * g);
      bucket.push_back(static_cast<float>(weight * loss));
      sum(rank, bucket.data(), bucket.size());
      std::size_t i = 0;
      for (const auto& p : params)
        for (float& g : p.grad) g = bucket[i++];
      loss = bucket[i];
      ++reductions;
    };
    h.average_scalars = [this, rank](double* values, std::size_t count, double weight) {
      for (std::size_t i = 0; i < count; ++i) values[i] *= weight;
      sum(rank, values, count);
    };
    return h;
  }

  int reductions = 0;  // counted on every rank; read after the threads end

 private:
  /// A barrier; a rank that never arrives (it threw) fails the test instead of hanging it.
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    const int generation = generation_;
    if (++waiting_ == size_) {
      waiting_ = 0;
      ++generation_;
      cv_.notify_all();
    } else if (!cv_.wait_for(lock, std::chrono::seconds(120),
                             [&] { return generation_ != generation; })) {
      throw std::runtime_error("ThreadGroup: another rank never reached the reduction");
    }
  }

  int size_;
  std::vector<std::vector<unsigned char>> slots_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int waiting_ = 0, generation_ = 0;
};

/// Global batch `step` of b seeded images (and labels when classes > 0), the same for
/// every rank and for the single trainer.
void global_batch(int step, gan::index_t b, gan::index_t classes, const gan::Shape& image,
                  gan::Tensor<float>& real, std::vector<int>& labels) {
  gan::Rng rng(1000 + static_cast<std::uint64_t>(step));
  real.resize({b, image[0], image[1], image[2]});
  rng.fill_uniform(real, -1.0, 1.0);
  labels.clear();
  for (gan::index_t i = 0; classes > 0 && i < b; ++i)
    labels.push_back(static_cast<int>(rng.below(static_cast<std::uint64_t>(classes))));
}

/// Rows [first, first + n) of a batch.
void slice(const gan::Tensor<float>& real, const std::vector<int>& labels, gan::index_t first,
           gan::index_t n, gan::Tensor<float>& out, std::vector<int>& out_labels) {
  const gan::index_t per = real.size() / real.dim(0);
  out.resize({n, real.dim(1), real.dim(2), real.dim(3)});
  std::copy_n(real.data() + first * per, n * per, out.data());
  out_labels.clear();
  if (!labels.empty()) out_labels.assign(labels.begin() + first, labels.begin() + first + n);
}

std::vector<float> parameters_of(gan::AnyGenerator<float>& g, gan::AnyDiscriminator<float>& d) {
  std::vector<float> out;
  for (const auto& p : g.parameters()) out.insert(out.end(), p.value.begin(), p.value.end());
  for (const auto& p : d.parameters()) out.insert(out.end(), p.value.begin(), p.value.end());
  return out;
}

struct Result {
  std::vector<std::vector<float>> params;  // per rank (one entry for a single trainer)
  std::vector<gan::StepStats> last;        // the last step's figures, per rank
  std::vector<std::string> errors;         // per rank, empty when none
  std::vector<std::int64_t> steps;
};

/// `steps` steps of a trainer made by make(), alone (ranks = 1, no hooks) or as `ranks`
/// data-parallel threads. poison(rank, step, real) may spoil a rank's share.
template <class Make, class Poison>
Result train(int ranks, int steps, gan::index_t b, gan::index_t classes, const gan::Shape& image,
             const gan::TrainerOptions& options, Make make, Poison poison) {
  Result r;
  r.params.resize(static_cast<std::size_t>(ranks));
  r.last.resize(static_cast<std::size_t>(ranks));
  r.errors.resize(static_cast<std::size_t>(ranks));
  r.steps.resize(static_cast<std::size_t>(ranks));
  ThreadGroup group(ranks);
  auto nets = make(ranks);  // one (G, D) pair per rank, built before the threads start
  auto run = [&](int rank) {
    auto& [g, d] = nets[static_cast<std::size_t>(rank)];
    gan::Trainer<float> t(*g, std::vector<gan::AnyDiscriminator<float>*>{d.get()}, options);
    const gan::BatchShare share = gan::batch_share(b, rank, ranks);
    if (ranks > 1) {
      gan::DataParallel<float> h = group.hooks(rank);
      h.global_batch = b;
      h.first = share.first;
      h.count = share.count;
      t.set_data_parallel(h);
    }
    gan::Tensor<float> all, mine;
    std::vector<int> labels, my_labels;
    try {
      for (int s = 0; s < steps; ++s) {
        global_batch(s, b, classes, image, all, labels);
        slice(all, labels, share.first, share.count, mine, my_labels);
        poison(rank, s, mine);
        r.last[static_cast<std::size_t>(rank)] = t.step(mine, my_labels);
      }
    } catch (const std::exception& e) {
      r.errors[static_cast<std::size_t>(rank)] = e.what();
    }
    r.steps[static_cast<std::size_t>(rank)] = t.steps();
    r.params[static_cast<std::size_t>(rank)] = parameters_of(*g, *d);
  };
  std::vector<std::thread> threads;
  for (int rank = 1; rank < ranks; ++rank) threads.emplace_back(run, rank);
  run(0);
  for (auto& th : threads) th.join();
  return r;
}

using Nets = std::vector<std::pair<std::unique_ptr<gan::AnyGenerator<float>>,
                                   std::unique_ptr<gan::AnyDiscriminator<float>>>>;

/// dcgan28 (no BatchNorm: its batch statistics would differ between shares), the same
/// initial weights for every rank.
Nets dcgan28(int ranks) {
  Nets nets;
  for (int r = 0; r < ranks; ++r) {
    gan::Rng init(3);
    auto g = gan::nets::dcgan28_generator<float>(100, 0);
    auto d = gan::nets::dcgan28_discriminator<float>(0);
    gan::dcgan_init(g.net(), init);
    gan::dcgan_init(d.net(), init);
    nets.emplace_back(gan::erase_generator(std::move(g)), gan::erase_discriminator(std::move(d)));
  }
  return nets;
}

/// A small conditional MLP on 1x3x5 "images" (odd sizes).
Nets small_mlp(int ranks) {
  Nets nets;
  for (int r = 0; r < ranks; ++r) {
    gan::manual_seed(4);
    gan::Generator g(gan::Sequential{gan::Dense<float>(7 + 3, 9), gan::LeakyReLU<float>(0.2f),
                                     gan::Dense<float>(9, 15), gan::Tanh<float>(),
                                     gan::Reshape<float>({1, 3, 5})},
                     7, 3);
    gan::Discriminator d(gan::Sequential{gan::Flatten<float>(), gan::Dense<float>((1 + 3) * 15, 11),
                                         gan::LeakyReLU<float>(0.2f), gan::Dense<float>(11, 1),
                                         gan::Sigmoid<float>()},
                         3);
    nets.emplace_back(gan::erase_generator(std::move(g)), gan::erase_discriminator(std::move(d)));
  }
  return nets;
}

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  return m;
}

double rms_difference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    s += d * d;
  }
  return std::sqrt(s / static_cast<double>(a.size()));
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

const auto no_poison = [](int, int, gan::Tensor<float>&) {};

}  // namespace

TEST_CASE("batch_share splits a batch into contiguous shares that differ by at most one",
          "[models][data-parallel]") {
  for (gan::index_t b : {1, 2, 7, 64, 65}) {
    for (int p = 1; p <= 5 && p <= b; ++p) {
      gan::index_t next = 0;
      for (int r = 0; r < p; ++r) {
        const gan::BatchShare s = gan::batch_share(b, r, p);
        CHECK(s.first == next);
        CHECK((s.count == b / p || s.count == b / p + 1));
        next += s.count;
      }
      CHECK(next == b);
    }
  }
  CHECK(gan::batch_share(10, 0, 3).count == 4);
  CHECK(gan::batch_share(10, 2, 3).first == 7);
  CHECK_THROWS_WITH(gan::batch_share(3, 0, 4),
                    "data parallel: a batch of 3 cannot be shared by 4 processes (each needs at "
                    "least one sample)");
  CHECK_THROWS_WITH(gan::batch_share(8, 4, 4), "batch_share: process 4 of 4");
}

TEST_CASE(
    "DataParallel refuses a share outside the batch, missing hooks, and a batch of "
    "another size",
    "[models][data-parallel][errors]") {
  Nets nets = small_mlp(1);
  gan::Trainer<float> t(*nets[0].first, {nets[0].second.get()});
  ThreadGroup group(1);
  gan::DataParallel<float> h = group.hooks(0);
  h.global_batch = 8;
  h.first = 6;
  h.count = 3;
  CHECK_THROWS_WITH(t.set_data_parallel(h),
                    "DataParallel: share [6, 9) outside a global batch of 8");
  gan::DataParallel<float> no_hooks;
  no_hooks.global_batch = 8;
  no_hooks.count = 8;
  CHECK_THROWS_WITH(t.set_data_parallel(no_hooks),
                    "DataParallel: reduce_gradients and average_scalars must both be set");
  h.first = 0;
  h.count = 4;
  t.set_data_parallel(h);
  gan::Tensor<float> real({5, 1, 3, 5});
  CHECK_THROWS_WITH(t.step(real, {0, 1, 2, 0, 1}),
                    "Trainer: this process's share of the batch is 4 samples, got 5");
}

TEST_CASE(
    "Two data-parallel dcgan28 trainers stay bit-identical and match one trainer on "
    "the whole batch",
    "[models][data-parallel]") {
  gan::set_num_threads(1);
  gan::TrainerOptions o;
  o.seed = 9;
  const int steps = 3;
  const Result one = train(1, steps, 16, 0, {1, 28, 28}, o, dcgan28, no_poison);
  const Result two = train(2, steps, 16, 0, {1, 28, 28}, o, dcgan28, no_poison);
  REQUIRE(one.errors[0].empty());
  REQUIRE(two.errors[0].empty());
  REQUIRE(two.errors[1].empty());
  CHECK(same_bits(two.params[0], two.params[1]));
  // Not bit for bit: a weight gradient sums over the batch inside its GEMM, in blocks
  // whose order depends on the batch size, and two shares are summed after; float
  // addition is not associative, so the sums differ in their last bits (~1e-7 relative).
  // Adam divides by sqrt(v) + eps: where a gradient element is near zero (|g| ~ eps =
  // 1e-8), a rounding difference d in it changes that element's step by up to lr d / eps,
  // a sizeable part of the step lr. So a few elements may drift apart by a fraction of
  // lr per step (2.3e-5 after 5 steps of batch 64 in tests/dist/mpi.sh, 5.5e-5 here with
  // 5 steps of 64) while the bulk agrees to rounding (rms ~1e-7). Asked: max < lr / 2 and
  // rms < 1e-6, where a missing or wrong reduction moves most parameters by about a whole
  // step (rms ~1e-4). Adam hides a gradient's scale (m / sqrt(v)), so the weights n_r / B
  // are checked through the losses, which share their path.
  Nets initial = dcgan28(1);
  CHECK(rms_difference(one.params[0], parameters_of(*initial[0].first, *initial[0].second)) > 1e-4);
  CHECK(max_difference(one.params[0], two.params[0]) < 1e-4);
  CHECK(rms_difference(one.params[0], two.params[0]) < 1e-6);
  CHECK(two.last[0].d_real == two.last[1].d_real);
  CHECK(two.last[0].d_loss == Approx(one.last[0].d_loss).epsilon(1e-5));
  CHECK(two.last[0].g_loss == Approx(one.last[0].g_loss).epsilon(1e-5));
  CHECK(two.last[0].d_real == Approx(one.last[0].d_real).epsilon(1e-5));
  CHECK(two.last[0].d_fake == Approx(one.last[0].d_fake).epsilon(1e-5));
}

TEST_CASE(
    "Three data-parallel trainers on uneven shares match one trainer: conditional, "
    "lsgan with a reconstruction term, two D steps",
    "[models][data-parallel]") {
  gan::TrainerOptions o;
  o.seed = 2;
  o.loss = gan::Loss::lsgan;
  o.recon = 0.5;
  o.d_steps = 2;
  o.lr_g = o.lr_d = 1e-2;  // large steps, so that a share mistake would show
  const int steps = 4;
  const Result one = train(1, steps, 10, 3, {1, 3, 5}, o, small_mlp, no_poison);
  const Result three = train(3, steps, 10, 3, {1, 3, 5}, o, small_mlp, no_poison);  // 4, 3, 3
  for (const auto& e : three.errors) REQUIRE(e.empty());
  CHECK(same_bits(three.params[0], three.params[1]));
  CHECK(same_bits(three.params[0], three.params[2]));
  // Shares of 4/10 and 3/10 are not powers of two: the weights n_r / B round, and three
  // partial sums are added in another order than one batch's. With lr = 1e-2 a step
  // moves parameters by up to 1e-2; the runs agree to 6e-8 here; asked: the bounds above
  // scaled by the learning rate.
  CHECK(max_difference(one.params[0], three.params[0]) < 5e-3);
  CHECK(rms_difference(one.params[0], three.params[0]) < 5e-5);
  CHECK(three.last[2].g_loss == Approx(one.last[0].g_loss).epsilon(1e-5));
}

TEST_CASE(
    "Data-parallel: one network update is one reduction; a non-finite share stops every "
    "process at the same step with nothing applied",
    "[models][data-parallel][errors]") {
  gan::TrainerOptions o;
  o.d_steps = 3;
  o.loss = gan::Loss::lsgan;  // bce would refuse the NaN probability on its own process
  {
    ThreadGroup group(1);
    Nets nets = small_mlp(1);
    gan::Trainer<float> t(*nets[0].first, {nets[0].second.get()}, o);
    gan::DataParallel<float> h = group.hooks(0);
    h.global_batch = h.count = 6;
    t.set_data_parallel(h);
    gan::Tensor<float> real;
    std::vector<int> labels;
    global_batch(0, 6, 3, {1, 3, 5}, real, labels);
    t.step(real, labels);
    CHECK(group.reductions == 3 + 1);  // d_steps discriminator updates and one of G
  }
  // Rank 1's share of step 2 holds a NaN: the summed loss is NaN on both ranks, so both
  // refuse the same update, and their parameters stay equal (those of step 1).
  auto poison = [](int rank, int step, gan::Tensor<float>& real) {
    if (rank == 1 && step == 1) real[3] = std::nanf("");
  };
  const Result r = train(2, 3, 6, 3, {1, 3, 5}, o, small_mlp, poison);
  const Result clean = train(2, 1, 6, 3, {1, 3, 5}, o, small_mlp, no_poison);
  for (int rank = 0; rank < 2; ++rank) {
    CHECK_THAT(r.errors[static_cast<std::size_t>(rank)],
               Catch::Contains("step 2: discriminator's loss is not finite"));
    CHECK(r.steps[static_cast<std::size_t>(rank)] == 1);
  }
  CHECK(same_bits(r.params[0], r.params[1]));
  CHECK(same_bits(r.params[0], clean.params[0]));
}

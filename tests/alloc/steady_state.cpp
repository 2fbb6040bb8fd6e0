/// A steady-state training step allocates nothing (issue: "allocation-free training
/// steps"). Every heap allocation of the process, ours and our dependencies' (Eigen,
/// libgomp, the C++ library), is counted: operator new through the replaced global
/// operators below, malloc and friends by interposing glibc's symbols from this
/// executable. After two warm-up steps, which size every buffer, three more steps must
/// allocate zero bytes, with 1 and with 2 threads, for each ready-made model and loss.
///
/// A plain program rather than a Catch2 test: Catch2 allocates while it reports, and this
/// test must see only the training step. It is not built under the sanitizers, whose
/// runtimes own malloc.

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "gan/gan.hpp"
#include "gan/models/half_discriminator.hpp"

namespace {
std::atomic<long> allocations{0};
// GAN_ALLOC_ABORT=1 aborts at the first allocation inside a measured window, so that
// `gdb -batch -ex run -ex bt ./alloc_steady_state` shows who allocated.
std::atomic<bool> measuring{false};
const bool abort_on_allocation = std::getenv("GAN_ALLOC_ABORT") != nullptr;

void count_allocation() {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (abort_on_allocation && measuring.load(std::memory_order_relaxed)) std::abort();
}
}  // namespace

// --- malloc family: glibc's own entry points under the names it exports for this use ---
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
  count_allocation();
  return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) {
  count_allocation();
  return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) {
  count_allocation();
  return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) {
  count_allocation();
  return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) { return memalign(align, n); }
int posix_memalign(void** out, std::size_t align, std::size_t n) {
  void* p = memalign(align, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* p) { __libc_free(p); }
}

// --- operator new: every form goes through malloc/memalign above, so it is counted once ---
void* operator new(std::size_t n) {
  if (void* p = malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = memalign(static_cast<std::size_t>(a), n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, std::size_t) noexcept { free(p); }
void operator delete[](void* p, std::size_t) noexcept { free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { free(p); }

namespace {

constexpr gan::index_t batch = 16;

/// Allocations made by three training steps after two warm-up steps.
/// data_parallel: the trainer is the second of two processes (models/data_parallel.hpp),
/// with reductions that stand in for MPI's by pretending the other process had the same
/// values: the Trainer's own part of a data-parallel step (the global batch's noise, the
/// hooks, the averaged figures) must allocate nothing either.
template <class G, class D>
long steady_state_allocations(G& g, D& d, gan::Loss loss, gan::index_t classes, double recon = 0,
                              bool data_parallel = false) {
  gan::TrainerOptions options;
  options.loss = loss;
  options.recon = recon;
  gan::Trainer trainer(g, d, options);
  if (data_parallel) {
    gan::DataParallel<float> p;
    p.global_batch = 2 * batch;
    p.first = batch;
    p.count = batch;
    p.reduce_gradients = [](const std::vector<gan::Parameter<float>>& params, double& l,
                            double weight) {
      for (const auto& q : params)
        for (float& x : q.grad) x *= static_cast<float>(2 * weight);
      l *= 2 * weight;
    };
    p.average_scalars = [](double* values, std::size_t count, double weight) {
      for (std::size_t i = 0; i < count; ++i) values[i] *= 2 * weight;
    };
    trainer.set_data_parallel(p);
  }
  gan::Tensor<float> real({batch, 1, 28, 28});
  gan::Rng rng(3);
  rng.fill_uniform(real);
  std::vector<int> labels;
  for (gan::index_t i = 0; i < batch && classes > 0; ++i)
    labels.push_back(static_cast<int>(i % classes));
  for (int s = 0; s < 2; ++s) trainer.step(real, labels);
  const long before = allocations.load();
  measuring = true;
  for (int s = 0; s < 3; ++s) trainer.step(real, labels);
  measuring = false;
  return allocations.load() - before;
}

/// Allocations made by three steps of the recipe's pieces after two warm-up steps: a
/// discriminator of SpectralNorm layers on DiffAugment'ed input with the hinge losses, the
/// augmentation's backward to the generator, and an Ema update of a generator's weights.
long recipe_allocations() {
  using F = float;
  gan::Sequential d{gan::spectral_norm(gan::Conv2d<F>(1, 64, 4, 2, 1)),
                    gan::LeakyReLU<F>(0.2f),
                    gan::spectral_norm(gan::Conv2d<F>(64, 128, 4, 2, 1)),
                    gan::LeakyReLU<F>(0.2f),
                    gan::Flatten<F>(),
                    gan::spectral_norm(gan::Dense<F>(128 * 7 * 7, 1))};
  auto generator = [] {
    return gan::Sequential{gan::Dense<F>(100, 64 * 7 * 7),
                           gan::Reshape<F>({64, 7, 7}),
                           gan::BatchNorm2d<F>(64),
                           gan::ReLU<F>(),
                           gan::spectral_norm(gan::ConvTranspose2d<F>(64, 1, 4, 4, 0)),
                           gan::Tanh<F>()};
  };
  auto g = generator(), g_ema = generator();
  gan::Ema<F> ema = gan::make_ema(g, g_ema, {0.999, true});
  ema.copy();
  gan::DiffAugment<F> augment("color,translation,cutout");
  gan::Tensor<F> real({batch, 1, 28, 28}), grad;
  gan::Rng rng(5);
  rng.fill_uniform(real, -1, 1);
  auto step = [&] {
    d.zero_grad();
    const gan::Tensor<F>& score = d.forward(augment.forward(real, rng));
    gan::hinge_loss(score, F(1), grad);
    augment.backward(d.backward(grad));
    gan::hinge_generator_loss(score, grad);
    ema.update();
  };
  for (int s = 0; s < 2; ++s) step();
  const long before = allocations.load();
  measuring = true;
  for (int s = 0; s < 3; ++s) step();
  measuring = false;
  return allocations.load() - before;
}

/// The same with K = 3 discriminators (dcgan28's, an MLP, one on half-size images) whose
/// training inputs go through the given attacks, combined by the given aggregate.
long steady_state_allocations_k3(const char* attacks, const char* aggregate) {
  auto g = gan::nets::dcgan28_bn_generator<float>();
  auto d0 = gan::nets::dcgan28_discriminator<float>();
  auto d1 = gan::nets::mlp28_discriminator<float>();
  auto d2 = gan::nets::half_discriminator<float>(1, 28);
  auto eg = gan::erase_generator_ref(g);
  auto e0 = gan::erase_discriminator_ref(d0);
  auto e1 = gan::erase_discriminator_ref(d1);
  auto e2 = gan::erase_discriminator_ref(d2);
  gan::TrainerOptions options;
  options.aggregate = gan::parse_aggregate(aggregate);
  options.hardening.attacks = gan::parse_attacks(attacks);
  options.hardening.lo = 0;
  options.hardening.hi = 1;
  gan::Trainer<float> trainer(*eg, {e0.get(), e1.get(), e2.get()}, options);
  gan::Tensor<float> real({batch, 1, 28, 28});
  gan::Rng rng(3);
  rng.fill_uniform(real);
  for (int s = 0; s < 2; ++s) trainer.step(real);
  const long before = allocations.load();
  measuring = true;
  for (int s = 0; s < 3; ++s) trainer.step(real);
  measuring = false;
  return allocations.load() - before;
}

int failures = 0;

void report(const std::string& what, int threads, long count) {
  std::printf("%-36s %d thread%s: %ld allocations in 3 steps\n", what.c_str(), threads,
              threads == 1 ? " " : "s", count);
  if (count != 0) ++failures;
}

}  // namespace

int main() {
  // The hooks must see both routes, or a zero below proves nothing.
  const long start = allocations.load();
  delete new volatile int(1);
  std::free(std::malloc(16));
  if (allocations.load() - start != 2) {
    std::printf("FAILED: the allocation hooks are not counting\n");
    return 1;
  }
  for (int threads : {1, 2}) {
    gan::set_num_threads(threads);
    {
      auto g = gan::nets::dcgan28_generator<float>();
      auto d = gan::nets::dcgan28_discriminator<float>();
      report("dcgan28, bce", threads, steady_state_allocations(g, d, gan::Loss::bce, 0));
      report("dcgan28, bce, data-parallel", threads,
             steady_state_allocations(g, d, gan::Loss::bce, 0, 0, true));
    }
    {
      auto g = gan::nets::dcgan28_bn_generator<float>(100, 10);
      auto d = gan::nets::dcgan28_logits_discriminator<float>(10);
      report("dcgan28-bn conditional, logits, lsgan", threads,
             steady_state_allocations(g, d, gan::Loss::lsgan, 10));
    }
    {
      auto g = gan::nets::mlp28_generator<float>();
      auto d = gan::nets::mlp28_discriminator<float>();
      report("mlp28, bce + recon", threads, steady_state_allocations(g, d, gan::Loss::bce, 0, 10));
    }
    report("SpectralNorm D, DiffAugment, hinge, Ema", threads, recipe_allocations());
    report("K = 3, mean", threads, steady_state_allocations_k3("none", "mean"));
    report("K = 3, pgd/fgsm/noise, auto", threads,
           steady_state_allocations_k3("pgd:0.05,2,0.02,fgsm:0.05,noise:0.1", "auto"));
    report("K = 3, max", threads, steady_state_allocations_k3("none", "max"));
  }
  if (failures != 0) std::printf("FAILED: a steady-state training step allocated\n");
  return failures == 0 ? 0 : 1;
}

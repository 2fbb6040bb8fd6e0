#pragma once
/// AnyGenerator<T> and AnyDiscriminator<T>: a Generator<Net> or Discriminator<Net> behind a
/// run-time interface, one virtual call per network call.
///
/// Inside a network everything stays compile-time (Sequential folds over its layers with
/// no virtual call); only the network as a whole is erased. That is what lets one Trainer
/// type train any pair of nets (and K discriminators of different architectures), lets the
/// model registry hand out nets chosen by name, and lets each model be compiled in a
/// translation unit of its own instead of every program instantiating every net.
///
///   auto g = gan::nets::dcgan28_generator<float>();
///   std::unique_ptr<gan::AnyGenerator<float>> owned = gan::erase_generator(std::move(g));
///   std::unique_ptr<gan::AnyGenerator<float>> view = gan::erase_generator_ref(g2);  // g2 outlives
///   it
///
/// The interface is exactly Generator's and Discriminator's (see generator.hpp and
/// discriminator.hpp for shapes and gradient semantics).

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gan/core/rng.hpp"
#include "gan/models/discriminator.hpp"
#include "gan/models/generator.hpp"

namespace gan {

template <class T>
class AnyGenerator {
 public:
  using value_type = T;
  virtual ~AnyGenerator() = default;
  virtual const Tensor<T>& forward(const Tensor<T>& z, const std::vector<int>& labels = {}) = 0;
  virtual void backward(const Tensor<T>& d_images) = 0;
  virtual void sample_noise(Tensor<T>& z, index_t n, Rng& rng) const = 0;
  virtual index_t z_dim() const noexcept = 0;
  virtual index_t classes() const noexcept = 0;
  bool conditional() const noexcept { return classes() > 0; }
  virtual std::vector<Parameter<T>> parameters() = 0;
  virtual std::vector<Buffer<T>> buffers() = 0;
  virtual void zero_grad() noexcept = 0;
  virtual void train(bool on = true) noexcept = 0;
  void eval() noexcept { train(false); }
  /// The network's layers, as Sequential::name() spells them.
  virtual std::string describe() const = 0;
};

template <class T>
class AnyDiscriminator {
 public:
  using value_type = T;
  virtual ~AnyDiscriminator() = default;
  virtual const Tensor<T>& forward(const Tensor<T>& images,
                                   const std::vector<int>& labels = {}) = 0;
  virtual const Tensor<T>& backward(const Tensor<T>& d_scores) = 0;
  virtual index_t classes() const noexcept = 0;
  bool conditional() const noexcept { return classes() > 0; }
  virtual Output output() const noexcept = 0;
  virtual std::vector<Parameter<T>> parameters() = 0;
  virtual std::vector<Buffer<T>> buffers() = 0;
  virtual void zero_grad() noexcept = 0;
  virtual void set_requires_grad(bool on) noexcept = 0;
  virtual void train(bool on = true) noexcept = 0;
  void eval() noexcept { train(false); }
  virtual std::string describe() const = 0;
};

namespace detail {

/// Holds a network by value (owned) or by pointer (a view of the caller's).
template <class Net>
class NetHolder {
 public:
  explicit NetHolder(Net&& net)
      : owned_(std::make_unique<Net>(std::move(net))), net_(owned_.get()) {}
  explicit NetHolder(Net* net) noexcept : net_(net) {}
  Net& get() noexcept { return *net_; }
  const Net& get() const noexcept { return *net_; }

 private:
  std::unique_ptr<Net> owned_;
  Net* net_;
};

template <class G>
class ErasedGenerator final : public AnyGenerator<typename G::value_type> {
  using T = typename G::value_type;

 public:
  template <class Source>
  explicit ErasedGenerator(Source&& g) : g_(std::forward<Source>(g)) {}
  const Tensor<T>& forward(const Tensor<T>& z, const std::vector<int>& labels) override {
    return g_.get().forward(z, labels);
  }
  void backward(const Tensor<T>& d_images) override { g_.get().backward(d_images); }
  void sample_noise(Tensor<T>& z, index_t n, Rng& rng) const override {
    g_.get().sample_noise(z, n, rng);
  }
  index_t z_dim() const noexcept override { return g_.get().z_dim(); }
  index_t classes() const noexcept override { return g_.get().classes(); }
  std::vector<Parameter<T>> parameters() override { return g_.get().parameters(); }
  std::vector<Buffer<T>> buffers() override { return g_.get().buffers(); }
  void zero_grad() noexcept override { g_.get().zero_grad(); }
  void train(bool on) noexcept override { g_.get().train(on); }
  std::string describe() const override { return g_.get().net().name(); }

 private:
  NetHolder<G> g_;
};

template <class D>
class ErasedDiscriminator final : public AnyDiscriminator<typename D::value_type> {
  using T = typename D::value_type;

 public:
  template <class Source>
  explicit ErasedDiscriminator(Source&& d) : d_(std::forward<Source>(d)) {}
  const Tensor<T>& forward(const Tensor<T>& images, const std::vector<int>& labels) override {
    return d_.get().forward(images, labels);
  }
  const Tensor<T>& backward(const Tensor<T>& d_scores) override {
    return d_.get().backward(d_scores);
  }
  index_t classes() const noexcept override { return d_.get().classes(); }
  Output output() const noexcept override { return d_.get().output(); }
  std::vector<Parameter<T>> parameters() override { return d_.get().parameters(); }
  std::vector<Buffer<T>> buffers() override { return d_.get().buffers(); }
  void zero_grad() noexcept override { d_.get().zero_grad(); }
  void set_requires_grad(bool on) noexcept override { d_.get().set_requires_grad(on); }
  void train(bool on) noexcept override { d_.get().train(on); }
  std::string describe() const override { return d_.get().net().name(); }

 private:
  NetHolder<D> d_;
};

}  // namespace detail

/// Takes ownership of a Generator<Net>.
template <class G>
std::unique_ptr<AnyGenerator<typename G::value_type>> erase_generator(G&& g) {
  static_assert(!std::is_lvalue_reference_v<G>, "erase_generator owns: pass std::move(g)");
  return std::make_unique<detail::ErasedGenerator<G>>(std::move(g));
}

/// A view of a Generator<Net> that must outlive it.
template <class G>
std::unique_ptr<AnyGenerator<typename G::value_type>> erase_generator_ref(G& g) {
  return std::make_unique<detail::ErasedGenerator<G>>(&g);
}

/// Takes ownership of a Discriminator<Net>.
template <class D>
std::unique_ptr<AnyDiscriminator<typename D::value_type>> erase_discriminator(D&& d) {
  static_assert(!std::is_lvalue_reference_v<D>, "erase_discriminator owns: pass std::move(d)");
  return std::make_unique<detail::ErasedDiscriminator<D>>(std::move(d));
}

/// A view of a Discriminator<Net> that must outlive it.
template <class D>
std::unique_ptr<AnyDiscriminator<typename D::value_type>> erase_discriminator_ref(D& d) {
  return std::make_unique<detail::ErasedDiscriminator<D>>(&d);
}

}  // namespace gan

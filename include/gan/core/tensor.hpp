#pragma once
/// Tensor<T>: an owning, contiguous, row-major array of rank 0..4 on 64-byte aligned
/// storage. resize() reuses the storage whenever it is large enough, so a layer's
/// buffers are mapped once and reused by every step (docs/architecture.md, "No steady-state
/// allocation"). matrix() gives an Eigen view for GEMM-shaped work without copying.
/// Tensor::view(base, shape) is the one exception to ownership: base's elements in another
/// shape, not owned (Reshape and Flatten return these instead of copies).

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include "gan/core/error.hpp"
#include "gan/core/shape.hpp"

namespace gan {

/// Alignment of every tensor's storage: a cache line, and a full AVX-512 register.
inline constexpr std::size_t tensor_alignment = 64;

template <class T>
using MatrixMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using ConstMatrixMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

template <class T>
class Tensor {
  static_assert(std::is_floating_point_v<T>, "gan::Tensor holds float or double");

 public:
  using value_type = T;

  /// An empty tensor: shape [0], no storage.
  Tensor() noexcept = default;
  /// A zero-filled tensor of the given shape.
  explicit Tensor(const Shape& shape) { resize(shape); }
  Tensor(std::initializer_list<index_t> dims) : Tensor(Shape(dims)) {}

  Tensor(const Tensor& other) : Tensor() { *this = other; }
  Tensor& operator=(const Tensor& other) {
    if (this != &other) {
      resize(other.shape_);
      copy_from(other);
    }
    return *this;
  }
  Tensor(Tensor&& other) noexcept { swap(other); }
  Tensor& operator=(Tensor&& other) noexcept {
    swap(other);
    return *this;
  }
  ~Tensor() = default;

  /// base's elements seen in `shape` (same element count), without a copy and without
  /// owning them: valid while base keeps its storage (until base is destroyed or grown).
  /// The view never frees them. Copying a view copies the elements into storage of its own;
  /// so does resizing it beyond base's size. Its elements are base's: the view must not be
  /// written through unless base may be.
  static Tensor view(const Tensor& base, const Shape& shape) {
    if (shape.numel() != base.size())
      throw Error("Tensor::view: cannot view " + base.shape().str() + " as " + shape.str());
    Tensor t;
    t.storage_ = Storage(const_cast<T*>(base.data()), AlignedDelete{false});
    t.capacity_ = base.size();
    t.shape_ = shape;
    return t;
  }

  /// True for a tensor made by view() (and not resized past it since).
  bool is_view() const noexcept { return !storage_.get_deleter().owns; }

  void swap(Tensor& other) noexcept {
    std::swap(storage_, other.storage_);
    std::swap(capacity_, other.capacity_);
    std::swap(shape_, other.shape_);
  }

  /// Changes the shape. Storage is reused when it is large enough (no allocation);
  /// otherwise new zero-filled storage is taken. Contents are kept only as raw memory:
  /// callers that need zeros after a change of shape call zero().
  void resize(const Shape& shape) {
    const index_t n = shape.numel();
    if (n > capacity_) {
      storage_ = Storage(static_cast<T*>(zeroed_storage(static_cast<std::size_t>(n) * sizeof(T))));
      capacity_ = n;
    }
    shape_ = shape;
  }

  /// A new view of the same elements: the element count must not change.
  void reshape(const Shape& shape) {
    if (shape.numel() != shape_.numel())
      throw Error("Tensor::reshape: cannot view " + shape_.str() + " as " + shape.str());
    shape_ = shape;
  }

  const Shape& shape() const noexcept { return shape_; }
  index_t size() const noexcept { return shape_.numel(); }
  bool empty() const noexcept { return size() == 0; }
  index_t dim(int i) const noexcept { return shape_[i]; }
  int rank() const noexcept { return shape_.rank(); }

  T* data() noexcept { return storage_.get(); }
  const T* data() const noexcept { return storage_.get(); }
  T* begin() noexcept { return data(); }
  T* end() noexcept { return data() + size(); }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + size(); }

  T& operator[](index_t i) noexcept { return storage_.get()[i]; }
  const T& operator[](index_t i) const noexcept { return storage_.get()[i]; }

  /// Element of a rank-4 tensor (NCHW).
  T& operator()(index_t n, index_t c, index_t h, index_t w) noexcept {
    return data()[((n * shape_[1] + c) * shape_[2] + h) * shape_[3] + w];
  }
  const T& operator()(index_t n, index_t c, index_t h, index_t w) const noexcept {
    return data()[((n * shape_[1] + c) * shape_[2] + h) * shape_[3] + w];
  }
  /// Element of a rank-2 tensor.
  T& operator()(index_t r, index_t c) noexcept { return data()[r * shape_[1] + c]; }
  const T& operator()(index_t r, index_t c) const noexcept { return data()[r * shape_[1] + c]; }

  void fill(T value) noexcept { std::fill(begin(), end(), value); }
  void zero() noexcept { fill(T(0)); }

  /// Copies the elements of a tensor of the same size (shapes may differ).
  void copy_from(const Tensor& other) {
    if (other.size() != size())
      throw Error("Tensor::copy_from: size " + std::to_string(other.size()) + " into " +
                  std::to_string(size()));
    if (size() > 0) std::memcpy(data(), other.data(), static_cast<std::size_t>(size()) * sizeof(T));
  }

  /// Row-major matrix view [rows, cols]; rows * cols must equal size().
  MatrixMap<T> matrix(index_t rows, index_t cols) noexcept {
    GAN_ASSERT(rows * cols == size());
    return MatrixMap<T>(data(), rows, cols);
  }
  ConstMatrixMap<T> matrix(index_t rows, index_t cols) const noexcept {
    GAN_ASSERT(rows * cols == size());
    return ConstMatrixMap<T>(data(), rows, cols);
  }
  /// [dim0, everything else]: a batch of flattened samples.
  MatrixMap<T> matrix() noexcept { return matrix(shape_[0], shape_.per_sample()); }
  ConstMatrixMap<T> matrix() const noexcept { return matrix(shape_[0], shape_.per_sample()); }

 private:
  // Zero-filled, tensor_alignment-aligned bytes from calloc, with calloc's pointer kept just
  // before them for the deleter. calloc, not new + memset: a large block comes as fresh zero
  // pages that the kernel maps only where they are first written, so zeros nobody writes
  // (the gradients of an EMA generator, which never trains) take no memory, as numpy.zeros
  // relies on. A block the program does write costs the same page faults either way.
  static void* zeroed_storage(std::size_t bytes) {
    void* raw = std::calloc(bytes + tensor_alignment, 1);  // calloc's alignment is 16
    if (!raw) throw std::bad_alloc();
    const auto at = (reinterpret_cast<std::uintptr_t>(raw) + tensor_alignment) &
                    ~static_cast<std::uintptr_t>(tensor_alignment - 1);
    void** aligned = reinterpret_cast<void**>(at);  // 16 to 64 bytes past raw
    aligned[-1] = raw;
    return aligned;
  }

  struct AlignedDelete {
    bool owns = true;  // false for view(): the elements are another tensor's
    void operator()(T* p) const noexcept {
      if (owns) std::free(reinterpret_cast<void**>(p)[-1]);
    }
  };
  using Storage = std::unique_ptr<T, AlignedDelete>;

  Storage storage_;
  index_t capacity_ = 0;
  Shape shape_{0};  // a default tensor is empty (rank 1, no elements), not a scalar
};

}  // namespace gan

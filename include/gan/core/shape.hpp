#pragma once
/// Shape: the dimensions of a tensor, rank 0 to 4, outermost first (NCHW for images,
/// [N, F] for vectors). A value type: cheap to copy, compared element-wise.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>

#include "gan/core/error.hpp"

namespace gan {

/// Signed index type for sizes and loops (convolution geometry needs negatives).
using index_t = std::ptrdiff_t;

class Shape {
 public:
  static constexpr int max_rank = 4;

  Shape() noexcept = default;
  Shape(std::initializer_list<index_t> dims) {
    if (dims.size() > max_rank)
      throw Error("Shape: rank " + std::to_string(dims.size()) + " exceeds the maximum of 4");
    for (index_t d : dims) {
      if (d < 0) throw Error("Shape: negative dimension " + std::to_string(d));
      dims_[static_cast<std::size_t>(rank_++)] = d;
    }
  }

  int rank() const noexcept { return rank_; }
  index_t operator[](int i) const noexcept { return dims_[static_cast<std::size_t>(i)]; }
  index_t& operator[](int i) noexcept { return dims_[static_cast<std::size_t>(i)]; }

  /// Number of elements (1 for rank 0).
  index_t numel() const noexcept {
    index_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<std::size_t>(i)];
    return n;
  }

  /// Product of all dimensions but the first: the features of one sample.
  index_t per_sample() const noexcept {
    index_t n = 1;
    for (int i = 1; i < rank_; ++i) n *= dims_[static_cast<std::size_t>(i)];
    return n;
  }

  friend bool operator==(const Shape& a, const Shape& b) noexcept {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  friend bool operator!=(const Shape& a, const Shape& b) noexcept { return !(a == b); }

  /// "[64, 1, 28, 28]"
  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) {
      if (i) s += ", ";
      s += std::to_string(dims_[static_cast<std::size_t>(i)]);
    }
    return s + "]";
  }

 private:
  std::array<index_t, max_rank> dims_{};
  int rank_ = 0;
};

}  // namespace gan

#pragma once
/// The arithmetic of spectral normalisation (Miyato et al. 2018, "Spectral Normalization for
/// Generative Adversarial Networks", Algorithm 1) on a weight tensor read as a matrix.
///
/// SpectralGeometry views w, stored as [outer, rows, inner], as the matrix W [rows, cols],
/// cols = outer * inner, with
///   W(r, i * inner + s) = w[(i * rows + r) * inner + s]
/// which is PyTorch's reshape_weight_to_matrix in both of its cases, read without a copy:
///   dim = 0, w [d0, rest...] (Linear, Conv2d):        outer = 1,  rows = d0, inner = rest
///   dim = 1, w [d0, d1, rest...] (ConvTranspose2d):   outer = d0, rows = d1, inner = rest
///   (dim = 1 is the matrix of w.permute(1, 0, 2, 3).reshape(d1, -1)).
///
///   spectral_norm_wv:        wv[rows]  = W v
///   spectral_norm_wtu:       wtu[cols] = W^T u
///   spectral_norm_normalize: x /= max(||x||_2, eps)   (torch.nn.functional.normalize)
///   spectral_norm_dot:       sum_i a_i b_i
///   spectral_norm_scale:     w_sn = w / sigma
///   spectral_norm_backward:  dw += (g - <g, w_sn> u v^T) / sigma   (derived in
///                            gan/layers/spectral_norm.hpp)
/// Serial, with every sum over a fixed order, so the bits never depend on the thread count:
/// the vectors are short (rows, cols of at most a few thousand) and each call is one pass over
/// the weight, small next to the layer's convolution or product.

#include <algorithm>
#include <cmath>

#include "gan/core/shape.hpp"

namespace gan::kernels {

struct SpectralGeometry {
  index_t outer = 1, rows = 0, inner = 0;

  index_t cols() const noexcept { return outer * inner; }
  index_t size() const noexcept { return outer * rows * inner; }
};

/// wv = W v.
template <class T>
void spectral_norm_wv(const SpectralGeometry& g, const T* w, const T* v, T* wv) noexcept {
  std::fill(wv, wv + g.rows, T(0));
  for (index_t i = 0; i < g.outer; ++i)
    for (index_t r = 0; r < g.rows; ++r) {
      const T* row = w + (i * g.rows + r) * g.inner;
      const T* vi = v + i * g.inner;
      T s = 0;
      for (index_t k = 0; k < g.inner; ++k) s += row[k] * vi[k];
      wv[r] += s;
    }
}

/// wtu = W^T u.
template <class T>
void spectral_norm_wtu(const SpectralGeometry& g, const T* w, const T* u, T* wtu) noexcept {
  std::fill(wtu, wtu + g.cols(), T(0));
  for (index_t i = 0; i < g.outer; ++i)
    for (index_t r = 0; r < g.rows; ++r) {
      const T* row = w + (i * g.rows + r) * g.inner;
      T* out = wtu + i * g.inner;
      const T ur = u[r];
      for (index_t k = 0; k < g.inner; ++k) out[k] += row[k] * ur;
    }
}

template <class T>
T spectral_norm_dot(index_t n, const T* a, const T* b) noexcept {
  T s = 0;
  for (index_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

/// x = x / max(||x||_2, eps), dividing as torch.nn.functional.normalize does.
template <class T>
void spectral_norm_normalize(index_t n, T* x, T eps) noexcept {
  const T norm = std::max(std::sqrt(spectral_norm_dot(n, x, x)), eps);
  for (index_t i = 0; i < n; ++i) x[i] /= norm;
}

/// w_sn = w / sigma (a division, as PyTorch's weight / sigma).
template <class T>
void spectral_norm_scale(index_t n, const T* w, T sigma, T* w_sn) noexcept {
  for (index_t i = 0; i < n; ++i) w_sn[i] = w[i] / sigma;
}

/// dw += (g - <g, w_sn> u v^T) / sigma, with g = dL/dw_sn laid out as w.
template <class T>
void spectral_norm_backward(const SpectralGeometry& geo, const T* g, const T* w_sn, const T* u,
                            const T* v, T sigma, T* dw) noexcept {
  const T c = spectral_norm_dot(geo.size(), g, w_sn);
  for (index_t i = 0; i < geo.outer; ++i)
    for (index_t r = 0; r < geo.rows; ++r) {
      const index_t off = (i * geo.rows + r) * geo.inner;
      const T* vi = v + i * geo.inner;
      const T cu = c * u[r];
      for (index_t k = 0; k < geo.inner; ++k) dw[off + k] += (g[off + k] - cu * vi[k]) / sigma;
    }
}

}  // namespace gan::kernels

#pragma once
// Direct-loop references for 2-D convolution, written from the definition (PyTorch's
// conv2d: cross-correlation with zero padding) and independent of gan's kernels: no
// im2col, no GEMM, no shared geometry code. Every loop nest visits
// (n, c_out, oh, ow, c_in, ki, kj), the seven indices of the convolution sum
//   y[n, co, oh, ow] = b[co] + sum_{ci, ki, kj} x[n, ci, oh*s - p + ki, ow*s - p + kj]
//                                              * w[co, ci, ki, kj],
// and accumulates in double. Each reference also returns, per output element, the sum
// of the absolute values of its terms: the scale of the rounding error of any
// summation order (see the tolerance in tests/kernels/conv2d.cpp).

#include <cmath>
#include <cstddef>
#include <vector>

namespace naive {

struct ConvSizes {
  long n, c_in, h, w, c_out, k, stride, pad;
  long h_out() const { return (h + 2 * pad - k) / stride + 1; }
  long w_out() const { return (w + 2 * pad - k) / stride + 1; }
  std::size_t x_size() const { return static_cast<std::size_t>(n * c_in * h * w); }
  std::size_t y_size() const { return static_cast<std::size_t>(n * c_out * h_out() * w_out()); }
  std::size_t w_size() const { return static_cast<std::size_t>(c_out * c_in * k * k); }
};

/// Values and the magnitudes sum |term| of one reference result.
struct Result {
  std::vector<double> value, magnitude;
  explicit Result(std::size_t size) : value(size, 0.0), magnitude(size, 0.0) {}
};

// Calls f(n, co, oh, ow, ci, ih, iw, ki, kj) for every term whose input pixel is inside
// the image (terms in the padding are zero and skipped).
template <class F>
void for_each_term(const ConvSizes& s, F&& f) {
  for (long n = 0; n < s.n; ++n)
    for (long co = 0; co < s.c_out; ++co)
      for (long oh = 0; oh < s.h_out(); ++oh)
        for (long ow = 0; ow < s.w_out(); ++ow)
          for (long ci = 0; ci < s.c_in; ++ci)
            for (long ki = 0; ki < s.k; ++ki)
              for (long kj = 0; kj < s.k; ++kj) {
                const long ih = oh * s.stride - s.pad + ki;
                const long iw = ow * s.stride - s.pad + kj;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                f(n, co, oh, ow, ci, ih, iw, ki, kj);
              }
}

inline long x_index(const ConvSizes& s, long n, long c, long h, long w) {
  return ((n * s.c_in + c) * s.h + h) * s.w + w;
}
inline long y_index(const ConvSizes& s, long n, long c, long h, long w) {
  return ((n * s.c_out + c) * s.h_out() + h) * s.w_out() + w;
}
inline long w_index(const ConvSizes& s, long co, long ci, long ki, long kj) {
  return ((co * s.c_in + ci) * s.k + ki) * s.k + kj;
}

/// y = conv(x, w) + b (b may be null).
template <class T>
Result conv2d_forward(const ConvSizes& s, const T* x, const T* w, const T* b) {
  Result y(s.y_size());
  for (long n = 0; n < s.n; ++n)
    for (long co = 0; co < s.c_out; ++co)
      for (long oh = 0; oh < s.h_out(); ++oh)
        for (long ow = 0; ow < s.w_out(); ++ow) {
          const long i = y_index(s, n, co, oh, ow);
          y.value[i] = b ? static_cast<double>(b[co]) : 0.0;
          y.magnitude[i] = b ? std::abs(static_cast<double>(b[co])) : 0.0;
        }
  for_each_term(
      s, [&](long n, long co, long oh, long ow, long ci, long ih, long iw, long ki, long kj) {
        const double t = static_cast<double>(x[x_index(s, n, ci, ih, iw)]) *
                         static_cast<double>(w[w_index(s, co, ci, ki, kj)]);
        const long i = y_index(s, n, co, oh, ow);
        y.value[i] += t;
        y.magnitude[i] += std::abs(t);
      });
  return y;
}

/// dx = dL/dx: every term of the forward sum scatters dy * w back to its input pixel.
template <class T>
Result conv2d_backward_data(const ConvSizes& s, const T* dy, const T* w) {
  Result dx(s.x_size());
  for_each_term(
      s, [&](long n, long co, long oh, long ow, long ci, long ih, long iw, long ki, long kj) {
        const double t = static_cast<double>(dy[y_index(s, n, co, oh, ow)]) *
                         static_cast<double>(w[w_index(s, co, ci, ki, kj)]);
        const long i = x_index(s, n, ci, ih, iw);
        dx.value[i] += t;
        dx.magnitude[i] += std::abs(t);
      });
  return dx;
}

struct WeightGrads {
  Result dw, db;
};

/// dw = dw0 + dL/dw and db = db0 + dL/db (the kernels add into their gradients).
template <class T>
WeightGrads conv2d_backward_weights(const ConvSizes& s, const T* x, const T* dy, const T* dw0,
                                    const T* db0) {
  WeightGrads out{Result(s.w_size()), Result(static_cast<std::size_t>(s.c_out))};
  Result& dw = out.dw;
  Result& db = out.db;
  for (std::size_t i = 0; i < dw.value.size(); ++i) {
    dw.value[i] = static_cast<double>(dw0[i]);
    dw.magnitude[i] = std::abs(dw.value[i]);
  }
  for (long co = 0; co < s.c_out; ++co) {
    db.value[co] = static_cast<double>(db0[co]);
    db.magnitude[co] = std::abs(db.value[co]);
    for (long n = 0; n < s.n; ++n)
      for (long oh = 0; oh < s.h_out(); ++oh)
        for (long ow = 0; ow < s.w_out(); ++ow) {
          const double g = static_cast<double>(dy[y_index(s, n, co, oh, ow)]);
          db.value[co] += g;
          db.magnitude[co] += std::abs(g);
        }
  }
  for_each_term(
      s, [&](long n, long co, long oh, long ow, long ci, long ih, long iw, long ki, long kj) {
        const double t = static_cast<double>(dy[y_index(s, n, co, oh, ow)]) *
                         static_cast<double>(x[x_index(s, n, ci, ih, iw)]);
        const long i = w_index(s, co, ci, ki, kj);
        dw.value[i] += t;
        dw.magnitude[i] += std::abs(t);
      });
  return out;
}

}  // namespace naive

#include "gan/kernels/conv2d.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/core/rng.hpp"
#include "gan/core/tensor.hpp"
#include "kernels/naive_conv.hpp"
#include "support.hpp"

namespace {

using gan::index_t;
using gan::Tensor;
using gan::kernels::Conv2dGeometry;
using test_support::random_tensor;
using test_support::same_bits;

struct Case {
  long n, c_in, h, w, c_out, k, stride, pad;
};

std::string describe(const Case& c) {
  std::ostringstream os;
  os << "x [" << c.n << ", " << c.c_in << ", " << c.h << ", " << c.w << "] -> C_out " << c.c_out
     << ", k=" << c.k << ", s=" << c.stride << ", p=" << c.pad;
  return os.str();
}

// Batch 1 and 3, odd and non-square images, stride 1/2/3, padding 0/1/2 (also padding
// >= kernel, where whole output rows see only zeros), kernel 1/3/4/5 (1x1 stride 1 pad 0
// takes the no-im2col path), channels 1/2/3/8, and images exactly as large as the padded
// kernel (a 1x1 output). The kernels take three routes, all covered here: C_in*K*K <= 32
// lowered rows run the register-blocked loops of conv2d_small.hpp (with planes shorter
// than a vector, and planes with a vector tail), larger ones the implicit GEMM (col packed
// from x) and im2col + GEMM + col2im for backward-data, and 1x1 stride-1 ones plain GEMMs.
// The GEMM path's backward-data runs in blocks of input channels; the large cases below have
// more blocks than threads.
const std::vector<Case> kCases = {
    {1, 1, 5, 5, 1, 3, 1, 0}, {3, 2, 7, 5, 3, 3, 1, 1}, {3, 3, 7, 5, 2, 4, 2, 1},
    {1, 8, 9, 9, 8, 5, 3, 2}, {3, 2, 6, 7, 8, 1, 1, 0}, {3, 3, 7, 5, 2, 1, 2, 0},
    {1, 2, 5, 4, 3, 1, 1, 2}, {3, 1, 8, 8, 2, 4, 2, 2}, {1, 3, 11, 6, 2, 5, 2, 2},
    {3, 8, 4, 4, 1, 3, 3, 1}, {3, 2, 5, 5, 2, 5, 1, 2}, {3, 3, 3, 3, 2, 5, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 0}, {3, 2, 9, 7, 3, 3, 2, 0}, {1, 3, 10, 10, 2, 4, 3, 0},
    {3, 3, 8, 6, 2, 4, 2, 1}, {3, 4, 6, 9, 3, 6, 3, 2}, {2, 9, 6, 6, 4, 2, 2, 0},
    {3, 4, 8, 8, 5, 8, 2, 3},
};

// The four convolutions of DCGAN-28 at batch 2. A ConvTranspose2d runs the kernels of
// the convolution that maps its output back to its input, so ConvT 128->64 on 7x7 is
// the geometry of Conv 64->128 on 14x14, and ConvT 64->1 on 14x14 that of Conv 1->64 on
// 28x28: two geometries cover all four layers.
const std::vector<Case> kDcganCases = {
    {2, 64, 14, 14, 128, 4, 2, 1},  // Conv 64->128 on 14x14; ConvT 128->64 on 7x7
    {2, 1, 28, 28, 64, 4, 2, 1},    // Conv 1->64 on 28x28; ConvT 64->1 on 14x14
};

Conv2dGeometry geometry(const Case& c) {
  return Conv2dGeometry(c.n, c.c_in, c.h, c.w, c.c_out, c.k, c.stride, c.pad);
}
naive::ConvSizes sizes(const Case& c) {
  return {c.n, c.c_in, c.h, c.w, c.c_out, c.k, c.stride, c.pad};
}

// Tolerance. Any summation order of n products satisfies
//   |computed - exact| <= gamma_n * sum |terms|,  gamma_n = n*u / (1 - n*u)
// (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., eq. 3.5), with u
// the unit roundoff of the precision that sums. The fast kernel sums in T and the
// reference in double, so an element passes when its error is within
// (gamma_n(T) + gamma_n(double)) * magnitude, magnitude being the sum of |terms| that
// the reference reports per element; n counts the products plus the bias or the initial
// gradient and one staging step. The bound is relative to each element's own scale, so
// it is as strict for small elements as for large ones; in double it is below 1e-11 of
// the magnitude, far under the O(1/n) relative change that a dropped, doubled or
// misplaced term causes. Elements with no terms at all (pure padding) must be exact.
template <class T>
double gamma(long n) {
  const double u = std::numeric_limits<T>::epsilon() / 2;
  return n * u / (1 - n * u);
}

template <class T>
void require_close(const char* what, const T* fast, const naive::Result& ref, long terms) {
  const double tol = gamma<T>(terms + 2) + gamma<double>(terms + 2);
  long bad = 0;
  std::ostringstream first;
  for (std::size_t i = 0; i < ref.value.size(); ++i) {
    const double err = std::abs(static_cast<double>(fast[i]) - ref.value[i]);
    if (!(err <= tol * ref.magnitude[i])) {
      if (bad++ == 0)
        first << "[" << i << "] fast " << fast[i] << ", reference " << ref.value[i]
              << ", magnitude " << ref.magnitude[i];
    }
  }
  INFO(what << ": " << bad << " of " << ref.value.size() << " elements off; first " << first.str());
  REQUIRE(bad == 0);
}

template <class T>
Tensor<T> poisoned(const gan::Shape& shape) {
  Tensor<T> t(shape);
  t.fill(std::numeric_limits<T>::quiet_NaN());
  return t;
}

// Runs all three kernels on one case with the given batch chunk (0: the geometry's own
// choice) and compares each with the reference. Outputs and workspace start as NaN, so
// anything that is read before it is written shows up.
template <class T>
void check_against_reference(const Case& c, index_t chunk) {
  Conv2dGeometry g = geometry(c);
  const naive::ConvSizes s = sizes(c);
  REQUIRE(g.valid());
  REQUIRE(g.H_out == s.h_out());
  REQUIRE(g.W_out == s.w_out());
  if (chunk > 0) g.batch_chunk = std::min<index_t>(chunk, g.N);

  gan::Rng rng(static_cast<std::uint64_t>(c.n * 1000 + c.c_in * 100 + c.k * 10 + c.stride));
  const gan::Shape y_shape{c.n, c.c_out, g.H_out, g.W_out};
  const Tensor<T> x = random_tensor<T>({c.n, c.c_in, c.h, c.w}, rng);
  const Tensor<T> w = random_tensor<T>({c.c_out, c.c_in, c.k, c.k}, rng);
  const Tensor<T> b = random_tensor<T>({c.c_out}, rng);
  const Tensor<T> dy = random_tensor<T>(y_shape, rng);
  Tensor<T> ws = poisoned<T>({std::max<index_t>(g.template workspace_size<T>(), 1)});

  Tensor<T> y = poisoned<T>(y_shape);
  gan::kernels::conv2d_forward(g, x.data(), w.data(), b.data(), y.data(), ws.data());
  require_close("forward", y.data(), naive::conv2d_forward(s, x.data(), w.data(), b.data()),
                c.c_in * c.k * c.k + 1);

  y.fill(std::numeric_limits<T>::quiet_NaN());
  gan::kernels::conv2d_forward<T>(g, x.data(), w.data(), nullptr, y.data(), ws.data());
  require_close("forward without bias", y.data(),
                naive::conv2d_forward<T>(s, x.data(), w.data(), nullptr), c.c_in * c.k * c.k);

  Tensor<T> dx = poisoned<T>(x.shape());
  gan::kernels::conv2d_backward_data(g, dy.data(), w.data(), dx.data(), ws.data());
  require_close("backward_data", dx.data(), naive::conv2d_backward_data(s, dy.data(), w.data()),
                c.c_out * c.k * c.k);

  // The weight kernel adds: start from random gradients, not zeros.
  Tensor<T> dw = random_tensor<T>(w.shape(), rng);
  Tensor<T> db = random_tensor<T>(b.shape(), rng);
  const naive::WeightGrads ref =
      naive::conv2d_backward_weights(s, x.data(), dy.data(), dw.data(), db.data());
  Tensor<T> dw_no_bias = dw;
  gan::kernels::conv2d_backward_weights(g, x.data(), dy.data(), dw.data(), db.data(), ws.data());
  require_close("backward_weights dw", dw.data(), ref.dw, c.n * g.out_plane() + 1);
  require_close("backward_weights dbias", db.data(), ref.db, c.n * g.out_plane() + 1);

  gan::kernels::conv2d_backward_weights<T>(g, x.data(), dy.data(), dw_no_bias.data(), nullptr,
                                           ws.data());
  REQUIRE(std::memcmp(dw_no_bias.data(), dw.data(), sizeof(T) * dw.size()) == 0);
}

}  // namespace

TEMPLATE_TEST_CASE("conv2d kernels match the naive reference", "[kernels][conv2d]", float, double) {
  for (const Case& c : kCases) {
    // Whole batch in one GEMM, one sample per GEMM (straight into y), and chunks of two
    // (a staged chunk of 2 followed by a direct chunk of 1 when N = 3).
    for (index_t chunk : {index_t(0), index_t(1), index_t(2)}) {
      INFO(describe(c) << ", batch_chunk " << chunk);
      check_against_reference<TestType>(c, chunk);
    }
  }
}

TEMPLATE_TEST_CASE("conv2d kernels match the naive reference on the DCGAN-28 shapes",
                   "[kernels][conv2d]", float, double) {
  for (const Case& c : kDcganCases) {
    INFO(describe(c));
    check_against_reference<TestType>(c, 0);
  }
}

TEST_CASE("Conv2dGeometry computes output sizes, batch chunks and workspace", "[kernels][conv2d]") {
  const Conv2dGeometry g(64, 1, 28, 28, 64, 4, 2, 1);
  REQUIRE(g.valid());
  REQUIRE(g.H_out == 14);
  REQUIRE(g.W_out == 14);
  REQUIRE(g.col_rows() == 16);
  REQUIRE(g.batch_chunk == 64);  // a whole DCGAN batch is one GEMM
  // 16 lowered rows: the loops of conv2d_small.hpp, which need the columns and the weight
  // gradient's scratch, no stage.
  REQUIRE(g.workspace_size<float>() == g.gemm_space<float>() + 16 * 64 * 196 +
                                           gan::kernels::small_weights_scratch<float>(64, 16));
  // GEMMs: forward and weights pack straight from x; backward-data lowers blocks of input
  // channels, one per thread (4 channels of 16 taps x 18 samples of 49 pixels = 56,448
  // elements, within the 64 Ki budget), the blocks shared evenly by the threads, and dy
  // packed once for all blocks.
  const Conv2dGeometry wide(64, 64, 14, 14, 128, 4, 2, 1);
  REQUIRE(wide.batch_chunk == 18);
  REQUIRE(wide.data_block_channels() == 4);
  REQUIRE(wide.data_blocks() == 16);
  REQUIRE(wide.col_space<float>() == wide.data_block_threads() * 4 * 16 * 18 * 49 +
                                         128 * (18 * 49 + 14));  // + dy packed, whole slivers
  REQUIRE(wide.workspace_size<float>() ==
          wide.gemm_space<float>() + wide.col_space<float>() + 128 * 18 * 49);
  // Channels that do not divide evenly: every channel in exactly one block.
  const Conv2dGeometry uneven(64, 7, 14, 14, 128, 4, 2, 1);
  REQUIRE(uneven.data_blocks() * uneven.data_block_channels() >= 7);
  REQUIRE((uneven.data_blocks() - 1) * uneven.data_block_channels() < 7);

  const Conv2dGeometry non_square(3, 2, 7, 5, 3, 3, 2, 0);
  REQUIRE(non_square.H_out == 3);
  REQUIRE(non_square.W_out == 2);

  // A large layer lowers fewer samples at a time and keeps within the budget:
  // (32*9 + 32) * 32*32 elements per sample, 3 samples per chunk.
  const Conv2dGeometry big(64, 32, 32, 32, 32, 3, 1, 1);
  REQUIRE(big.batch_chunk == Conv2dGeometry::col_budget / ((32 * 9 + 32) * 32 * 32));
  REQUIRE(big.batch_chunk < 64);
  REQUIRE(big.workspace_size<float>() - big.gemm_space<float>() <= Conv2dGeometry::col_budget);
  // One sample beyond the budget is still one chunk of one sample.
  REQUIRE(Conv2dGeometry(4, 64, 64, 64, 64, 3, 1, 1).batch_chunk == 1);

  REQUIRE(Conv2dGeometry(8, 3, 5, 5, 4, 1, 1, 0).pointwise());
  const Conv2dGeometry pw(8, 3, 5, 5, 4, 1, 1, 0);
  REQUIRE(pw.workspace_size<double>() == pw.gemm_space<double>());
  REQUIRE_FALSE(Conv2dGeometry(8, 3, 5, 5, 4, 1, 2, 0).pointwise());

  REQUIRE_FALSE(Conv2dGeometry(1, 1, 2, 2, 1, 5, 1, 1).valid());  // 2 + 2 < 5
  REQUIRE_FALSE(Conv2dGeometry(1, 0, 5, 5, 1, 3).valid());
  REQUIRE_FALSE(Conv2dGeometry(1, 1, 5, 5, 1, 3, 0).valid());
}

namespace {

template <class T>
struct Outputs {
  Tensor<T> y, dx, dw, db;
};

template <class T>
Outputs<T> run_all(const Case& c, int threads) {
  gan::set_num_threads(threads);
  const Conv2dGeometry g = geometry(c);
  gan::Rng rng(7);
  const Tensor<T> x = random_tensor<T>({c.n, c.c_in, c.h, c.w}, rng);
  const Tensor<T> w = random_tensor<T>({c.c_out, c.c_in, c.k, c.k}, rng);
  const Tensor<T> b = random_tensor<T>({c.c_out}, rng);
  const Tensor<T> dy = random_tensor<T>({c.n, c.c_out, g.H_out, g.W_out}, rng);
  Tensor<T> ws({std::max<index_t>(g.template workspace_size<T>(), 1)});
  Outputs<T> o{Tensor<T>(dy.shape()), Tensor<T>(x.shape()), Tensor<T>(w.shape()),
               Tensor<T>(b.shape())};
  gan::kernels::conv2d_forward(g, x.data(), w.data(), b.data(), o.y.data(), ws.data());
  gan::kernels::conv2d_backward_data(g, dy.data(), w.data(), o.dx.data(), ws.data());
  gan::kernels::conv2d_backward_weights(g, x.data(), dy.data(), o.dw.data(), o.db.data(),
                                        ws.data());
  return o;
}

}  // namespace

TEMPLATE_TEST_CASE("conv2d kernels give the same bits with 1 and 2 threads",
                   "[kernels][conv2d][threads]", float, double) {
  const int saved = gan::num_threads();
  // DCGAN-28 at batch 16 (large enough for every GEMM to run threaded, with reductions
  // of 1024 and 3136 terms), an odd strided case, and a pointwise one.
  const std::vector<Case> cases = {{16, 64, 14, 14, 128, 4, 2, 1},
                                   {16, 1, 28, 28, 64, 4, 2, 1},
                                   {3, 3, 7, 5, 2, 4, 2, 1},
                                   {4, 16, 12, 9, 24, 1, 1, 0}};
  for (const Case& c : cases) {
    INFO(describe(c));
    const Outputs<TestType> one = run_all<TestType>(c, 1);
    const Outputs<TestType> two = run_all<TestType>(c, 2);
    CHECK(same_bits(one.y, two.y));
    CHECK(same_bits(one.dx, two.dx));
    CHECK(same_bits(one.dw, two.dw));
    CHECK(same_bits(one.db, two.db));
  }
  gan::set_num_threads(saved);
}

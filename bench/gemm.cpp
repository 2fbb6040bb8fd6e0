// GEMM: the packed, allocation-free kernel (gemm(..., workspace)) against Eigen's GEMM
// (the workspace-free overload) and a naive loop (small sizes only), at 256^3, 1024^3 and
// the im2col GEMMs of the dcgan28 conv layers at batch 64 (N = 64 * 7 * 7 = 3136):
//   Conv2d 64->128 forward        C[128, 3136]  = W[128, 1024] * col[1024, 3136]      (NN)
//   its backward-data             dcol[1024, 3136] = W^T * dY[128, 3136]               (TN)
//   its backward-weights          dW[128, 1024] = dY[128, 3136] * col^T                (NT)
// and the same three with 64 rows and K = 2048 (M=64, N=3136, K=2048 and transposes).
// FLOPs = 2 * M * N * K. Run: ./bench_gemm (GAN_PEAK_GFLOPS=227,428 skips the peak
// measurement).

#include "gan/kernels/gemm.hpp"

#include <random>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "gan/core/tensor.hpp"

namespace {

using gan::index_t;

struct GemmShape {
  const char* name;
  bool ta, tb;
  index_t m, n, k;
};

const GemmShape kShapes[] = {
    {"square256", false, false, 256, 256, 256},
    {"square1024", false, false, 1024, 1024, 1024},
    {"conv64to128_fwd", false, false, 128, 3136, 1024},
    {"conv64to128_bwd_data", true, false, 1024, 3136, 128},
    {"conv64to128_bwd_weights", false, true, 128, 1024, 3136},
    {"m64_k2048_NN", false, false, 64, 3136, 2048},
    {"m64_k2048_TN", true, false, 2048, 3136, 64},
    {"m64_k2048_NT", false, true, 64, 2048, 3136},
};

enum class Impl { packed, eigen, naive };

// Operands in their stored shapes (A [m, k] or [k, m], B [k, n] or [n, k]), dense strides.
template <class T>
struct Operands {
  GemmShape s;
  std::vector<T> a, b, c;
  index_t lda, ldb, ldc;
  explicit Operands(const GemmShape& shape) : s(shape) {
    std::mt19937 rng(1);
    std::uniform_real_distribution<T> u(T(-1), T(1));
    a.resize(static_cast<std::size_t>(s.m * s.k));
    b.resize(static_cast<std::size_t>(s.k * s.n));
    c.resize(static_cast<std::size_t>(s.m * s.n));
    for (auto& x : a) x = u(rng);
    for (auto& x : b) x = u(rng);
    lda = s.ta ? s.m : s.k;
    ldb = s.tb ? s.k : s.n;
    ldc = s.n;
  }
};

// The obvious loop (i, p, j so the inner loop is contiguous in B and C when not
// transposed), single-threaded.
template <class T>
void naive_gemm(const Operands<T>& o, std::vector<T>& c) {
  const GemmShape& s = o.s;
  std::fill(c.begin(), c.end(), T(0));
  for (index_t i = 0; i < s.m; ++i)
    for (index_t p = 0; p < s.k; ++p) {
      const T av = s.ta ? o.a[static_cast<std::size_t>(p * o.lda + i)]
                        : o.a[static_cast<std::size_t>(i * o.lda + p)];
      for (index_t j = 0; j < s.n; ++j)
        c[static_cast<std::size_t>(i * o.ldc + j)] +=
            av * (s.tb ? o.b[static_cast<std::size_t>(j * o.ldb + p)]
                       : o.b[static_cast<std::size_t>(p * o.ldb + j)]);
    }
}

template <class T>
void BM_gemm(benchmark::State& state, GemmShape shape, Impl impl) {
  const int threads = gan::bench::use_threads(state);
  Operands<T> o(shape);
  gan::Tensor<T> workspace;
  if (impl == Impl::packed)
    workspace.resize(gan::Shape{gan::kernels::gemm_workspace_size<T>(shape.m, shape.n, shape.k)});
  for (auto _ : state) {
    switch (impl) {
      case Impl::packed:
        gan::kernels::gemm(shape.ta, shape.tb, shape.m, shape.n, shape.k, T(1), o.a.data(), o.lda,
                           o.b.data(), o.ldb, T(0), o.c.data(), o.ldc, workspace.data());
        break;
      case Impl::eigen:
        gan::kernels::gemm(shape.ta, shape.tb, shape.m, shape.n, shape.k, T(1), o.a.data(), o.lda,
                           o.b.data(), o.ldb, T(0), o.c.data(), o.ldc);
        break;
      case Impl::naive:
        naive_gemm(o, o.c);
        break;
    }
    benchmark::DoNotOptimize(o.c.data());
    benchmark::ClobberMemory();
  }
  gan::bench::set_flop_counters<T>(state, 2.0 * shape.m * shape.n * shape.k, threads);
}

template <class T>
void register_shape(const GemmShape& s, const char* type) {
  const std::string base = std::string("gemm<") + type + ">/" + s.name + "/";
  gan::bench::configure(
      benchmark::RegisterBenchmark((base + "packed").c_str(), BM_gemm<T>, s, Impl::packed));
  gan::bench::configure(
      benchmark::RegisterBenchmark((base + "eigen").c_str(), BM_gemm<T>, s, Impl::eigen));
  if (s.m * s.n * s.k <= 256 * 256 * 256)
    gan::bench::configure(
        benchmark::RegisterBenchmark((base + "naive").c_str(), BM_gemm<T>, s, Impl::naive), {}, {},
        {1});
}

const bool registered = [] {
  for (const GemmShape& s : kShapes) register_shape<float>(s, "float");
  register_shape<double>(kShapes[1], "double");
  return true;
}();

}  // namespace

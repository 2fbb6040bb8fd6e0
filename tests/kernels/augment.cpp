#include "gan/kernels/augment.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/core/rng.hpp"
#include "kernels/naive_augment.hpp"

namespace {

using gan::index_t;
namespace k = gan::kernels;

struct Sizes {
  index_t n, c, h, w;
  index_t size() const { return n * c * h * w; }
};
// Odd sizes, one and three channels, planes shorter and longer than every SIMD width.
const std::vector<Sizes> kSizes = {
    {3, 1, 5, 7}, {2, 3, 4, 3}, {4, 3, 9, 11}, {1, 1, 1, 1}, {2, 3, 17, 19}};

template <class T>
std::vector<T> uniform(index_t n, double lo, double hi, gan::Rng& rng) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (T& x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

template <class T>
naive::Batch batch_of(const Sizes& s, const std::vector<T>& x) {
  return {s.n, s.c, s.h, s.w, std::vector<double>(x.begin(), x.end())};
}

template <class T>
void require_close(const std::vector<T>& ours, const naive::Batch& ref, double tol) {
  REQUIRE(ours.size() == ref.x.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    INFO("element " << i);
    REQUIRE(static_cast<double>(ours[i]) == Approx(ref.x[i]).margin(tol));
  }
}

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-13;
}

// Restores the thread count a test changes.
struct ThreadsGuard {
  int saved = gan::num_threads();
  ~ThreadsGuard() { gan::set_num_threads(saved); }
};

std::string describe(const Sizes& s) {
  return "[" + std::to_string(s.n) + ", " + std::to_string(s.c) + ", " + std::to_string(s.h) +
         ", " + std::to_string(s.w) + "]";
}

}  // namespace

TEMPLATE_TEST_CASE("colour kernels match the reference formulas", "[kernels][augment]", float,
                   double) {
  using T = TestType;
  gan::Rng rng(1);
  for (const Sizes& s : kSizes) {
    INFO(describe(s));
    const std::vector<T> x = uniform<T>(s.size(), -1, 1, rng);
    const std::vector<T> shift = uniform<T>(s.n, -0.5, 0.5, rng);
    const std::vector<T> sat = uniform<T>(s.n, 0, 2, rng);
    const std::vector<T> con = uniform<T>(s.n, 0.5, 1.5, rng);

    std::vector<T> y = x;
    k::brightness_forward(s.n, s.c * s.h * s.w, shift.data(), y.data());
    naive::Batch ref = batch_of(s, x);
    naive::brightness(ref, std::vector<double>(shift.begin(), shift.end()));
    require_close(y, ref, tolerance<T>());

    y = x;
    k::saturation_forward(s.n, s.c, s.h * s.w, sat.data(), y.data());
    ref = batch_of(s, x);
    naive::saturation(ref, std::vector<double>(sat.begin(), sat.end()));
    require_close(y, ref, tolerance<T>());
    if (s.c == 1) REQUIRE(y == x);  // one channel: the mean is the pixel, nothing changes

    y = x;
    k::contrast_forward(s.n, s.c * s.h * s.w, con.data(), y.data());
    ref = batch_of(s, x);
    naive::contrast(ref, std::vector<double>(con.begin(), con.end()));
    require_close(y, ref, 4 * tolerance<T>());
  }
}

TEMPLATE_TEST_CASE("translation and cutout match the reference gather and mask",
                   "[kernels][augment]", float, double) {
  using T = TestType;
  gan::Rng rng(2);
  for (const Sizes& s : kSizes) {
    INFO(describe(s));
    const std::vector<T> x = uniform<T>(s.size(), -1, 1, rng);
    // Every shift from beyond the image to beyond it the other way, across the samples.
    for (index_t dh = -s.h - 1; dh <= s.h + 1; ++dh) {
      std::vector<index_t> sh(static_cast<std::size_t>(s.n)), sw(sh.size());
      for (index_t i = 0; i < s.n; ++i) {
        sh[static_cast<std::size_t>(i)] = dh;
        sw[static_cast<std::size_t>(i)] = (dh * 3 + i) % (s.w + 2);
      }
      std::vector<T> y(x.size(), T(7));
      k::translation_forward(s.n, s.c, s.h, s.w, sh.data(), sw.data(), x.data(), y.data());
      naive::Batch ref = batch_of(s, x);
      naive::translation(ref, std::vector<long>(sh.begin(), sh.end()),
                         std::vector<long>(sw.begin(), sw.end()));
      require_close(y, ref, 0.0);
    }
    // Cutout squares of the layer's size at every corner position it can draw: the centre
    // o in [0, H + 1 - size % 2), top = o - size / 2 (always overlapping the image).
    const index_t ch = (s.h + 1) / 2, cw = (s.w + 1) / 2, columns = s.w + 1 - cw % 2;
    for (index_t o = 0; o < s.h + 1 - ch % 2; ++o) {
      std::vector<index_t> t(static_cast<std::size_t>(s.n), o - ch / 2), l(t.size());
      for (index_t i = 0; i < s.n; ++i)
        l[static_cast<std::size_t>(i)] = (o * 2 + i) % columns - cw / 2;
      std::vector<T> y = x;
      k::cutout(s.n, s.c, s.h, s.w, t.data(), l.data(), ch, cw, y.data());
      naive::Batch ref = batch_of(s, x);
      naive::cutout(ref, std::vector<long>(t.begin(), t.end()),
                    std::vector<long>(l.begin(), l.end()), ch, cw);
      require_close(y, ref, 0.0);
    }
  }
}

TEMPLATE_TEST_CASE("augment backward kernels are the transposed maps", "[kernels][augment]", float,
                   double) {
  // For a linear map A, <A x, g> = <x, A^T g> for every x and g.
  using T = TestType;
  gan::Rng rng(3);
  for (const Sizes& s : kSizes) {
    INFO(describe(s));
    const std::vector<T> x = uniform<T>(s.size(), -1, 1, rng);
    const std::vector<T> g = uniform<T>(s.size(), -1, 1, rng);
    const std::vector<T> sat = uniform<T>(s.n, 0, 2, rng);
    const std::vector<T> con = uniform<T>(s.n, 0.5, 1.5, rng);
    std::vector<index_t> sh, sw;
    for (index_t i = 0; i < s.n; ++i) {
      sh.push_back(static_cast<index_t>(rng.below(5)) - 2);
      sw.push_back(static_cast<index_t>(rng.below(5)) - 2);
    }
    auto dot = [](const std::vector<T>& a, const std::vector<T>& b) {
      double d = 0;
      for (std::size_t i = 0; i < a.size(); ++i) d += double(a[i]) * double(b[i]);
      return d;
    };
    auto check = [&](auto forward, auto backward) {
      std::vector<T> ax(x.size()), atg(g.size());
      forward(ax);
      backward(atg);
      REQUIRE(dot(ax, g) ==
              Approx(dot(x, atg)).epsilon(10 * tolerance<T>()).margin(tolerance<T>()));
    };
    check(
        [&](std::vector<T>& y) {
          y = x;
          k::saturation_forward(s.n, s.c, s.h * s.w, sat.data(), y.data());
        },
        [&](std::vector<T>& d) {
          d = g;
          k::saturation_backward(s.n, s.c, s.h * s.w, sat.data(), d.data());
        });
    check(
        [&](std::vector<T>& y) {
          y = x;
          k::contrast_forward(s.n, s.c * s.h * s.w, con.data(), y.data());
        },
        [&](std::vector<T>& d) {
          d = g;
          k::contrast_backward(s.n, s.c * s.h * s.w, con.data(), d.data());
        });
    check(
        [&](std::vector<T>& y) {
          k::translation_forward(s.n, s.c, s.h, s.w, sh.data(), sw.data(), x.data(), y.data());
        },
        [&](std::vector<T>& d) {
          k::translation_backward(s.n, s.c, s.h, s.w, sh.data(), sw.data(), g.data(), d.data());
        });
  }
}

TEST_CASE("augment kernels give the same bits on 1 and 2 threads", "[kernels][augment]") {
  const ThreadsGuard guard;
  const Sizes s{6, 3, 9, 11};
  gan::Rng rng(4);
  const std::vector<float> x = uniform<float>(s.size(), -1, 1, rng);
  const std::vector<float> f = uniform<float>(s.n, 0.5, 1.5, rng);
  std::vector<index_t> sh = {-1, 0, 1, 2, -2, 1}, sw = {1, 1, -1, 0, 2, -2};
  auto run = [&](int threads) {
    gan::set_num_threads(threads);
    std::vector<float> y = x, z(x.size());
    k::brightness_forward(s.n, s.c * s.h * s.w, f.data(), y.data());
    k::saturation_forward(s.n, s.c, s.h * s.w, f.data(), y.data());
    k::contrast_forward(s.n, s.c * s.h * s.w, f.data(), y.data());
    k::translation_forward(s.n, s.c, s.h, s.w, sh.data(), sw.data(), y.data(), z.data());
    k::cutout(s.n, s.c, s.h, s.w, sh.data(), sw.data(), 4, 5, z.data());
    k::contrast_backward(s.n, s.c * s.h * s.w, f.data(), z.data());
    k::saturation_backward(s.n, s.c, s.h * s.w, f.data(), z.data());
    return z;
  };
  const std::vector<float> one = run(1), two = run(2);
  REQUIRE(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
}

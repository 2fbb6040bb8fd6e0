#include "gan/core/tensor.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <vector>

namespace {
// This process's resident memory in bytes (/proc/self/statm: size, resident, ... in pages).
long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}
}  // namespace

TEMPLATE_TEST_CASE("Tensor is zero-filled, aligned and row-major", "[core][tensor]", float,
                   double) {
  gan::Tensor<TestType> t({2, 3, 4, 5});
  REQUIRE(t.size() == 120);
  REQUIRE(t.shape() == gan::Shape{2, 3, 4, 5});
  REQUIRE(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
  for (TestType v : t) REQUIRE(v == 0);
  t(1, 2, 3, 4) = 7;
  REQUIRE(t[119] == 7);
  t(0, 1, 0, 2) = 3;
  REQUIRE(t[1 * 20 + 2] == 3);
  auto m = t.matrix();
  REQUIRE(m.rows() == 2);
  REQUIRE(m.cols() == 60);
  REQUIRE(m(1, 59) == 7);
}

TEST_CASE("Tensor::resize reuses storage when it fits", "[core][tensor]") {
  gan::Tensor<float> t({4, 8});
  const float* before = t.data();
  t.resize({2, 8});
  REQUIRE(t.data() == before);
  t.resize({4, 8});
  REQUIRE(t.data() == before);
  t.resize({5, 8});
  REQUIRE(t.size() == 40);
}

TEST_CASE("Tensor copy is deep, move steals", "[core][tensor]") {
  gan::Tensor<double> a({3});
  a[1] = 2.0;
  gan::Tensor<double> b = a;
  b[1] = 5.0;
  REQUIRE(a[1] == 2.0);
  gan::Tensor<double> c = std::move(b);
  REQUIRE(c[1] == 5.0);
}

TEST_CASE("Tensor::reshape refuses a different element count", "[core][tensor]") {
  gan::Tensor<float> t({2, 6});
  t.reshape({3, 4});
  REQUIRE(t.shape() == gan::Shape{3, 4});
  REQUIRE_THROWS_WITH(t.reshape({5}), Catch::Contains("[3, 4]") && Catch::Contains("[5]"));
}

TEST_CASE("Tensor::view shows another tensor's elements and never owns them", "[core][tensor]") {
  gan::Tensor<float> base({2, 6});
  for (gan::index_t i = 0; i < base.size(); ++i) base[i] = static_cast<float>(i);
  {
    gan::Tensor<float> v = gan::Tensor<float>::view(base, {2, 3, 2});
    REQUIRE(v.is_view());
    REQUIRE_FALSE(base.is_view());
    REQUIRE(v.data() == base.data());
    REQUIRE(v.shape() == gan::Shape{2, 3, 2});
    REQUIRE(v[11] == 11.0f);
    base[11] = -1.0f;
    REQUIRE(v[11] == -1.0f);  // the same memory

    // A copy owns its elements; the view is untouched by it.
    gan::Tensor<float> copy = v;
    REQUIRE_FALSE(copy.is_view());
    REQUIRE(copy.data() != base.data());
    copy[0] = 42.0f;
    REQUIRE(base[0] == 0.0f);

    // Moving a view moves the view; growing one detaches it into storage of its own.
    gan::Tensor<float> moved = std::move(v);
    REQUIRE((moved.is_view() && moved.data() == base.data()));
    moved.resize({4, 6});
    REQUIRE_FALSE(moved.is_view());
    REQUIRE(moved.data() != base.data());
  }  // destroying the views frees nothing of base's (AddressSanitizer would see a double free)
  REQUIRE(base[11] == -1.0f);
  REQUIRE_THROWS_WITH(gan::Tensor<float>::view(base, {5}),
                      Catch::Contains("[2, 6]") && Catch::Contains("[5]"));
}

TEST_CASE("Shape rejects rank > 4 and negative sizes", "[core][shape]") {
  REQUIRE_THROWS_AS((gan::Shape{1, 2, 3, 4, 5}), gan::Error);
  REQUIRE_THROWS_AS((gan::Shape{2, -1}), gan::Error);
  REQUIRE(gan::Shape{64, 1, 28, 28}.str() == "[64, 1, 28, 28]");
}

TEST_CASE("A default Tensor is empty, not a scalar", "[core][tensor]") {
  gan::Tensor<float> t;
  REQUIRE(t.size() == 0);
  REQUIRE(t.empty());
  gan::Tensor<float> scalar(gan::Shape{});
  REQUIRE(scalar.size() == 1);
  REQUIRE(scalar.data() != nullptr);
}

TEST_CASE("A large tensor takes memory only where it is written", "[core][tensor][memory]") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("not measured under AddressSanitizer, whose calloc writes its blocks");
  (void)resident_bytes;
#else
  const long before = resident_bytes();
  std::vector<gan::Tensor<float> > zeros;
  for (int i = 0; i < 4; ++i) zeros.emplace_back(gan::Shape{1 << 22});  // 4 x 16 MiB of zeros
  REQUIRE(zeros[3][(1 << 22) - 1] == 0.0f);                             // reading maps no page
  const long untouched = resident_bytes() - before;
  for (float& v : zeros[0]) v = 1.0f;
  const long written = resident_bytes() - before;
  INFO("untouched " << untouched << " bytes, one written " << written << " bytes");
  REQUIRE(untouched < (8l << 20));             // not the 64 MiB asked for
  REQUIRE(written - untouched > (12l << 20));  // the 16 MiB written are resident
#endif
}

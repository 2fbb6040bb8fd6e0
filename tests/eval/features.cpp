#include "gan/eval/features.hpp"

#include <catch2/catch.hpp>

#include "gan/core/parallel.hpp"
#include "gan/core/rng.hpp"

namespace {
gan::eval::Matrix random_matrix(gan::index_t r, gan::index_t c, std::uint64_t seed) {
  gan::Rng rng(seed);
  gan::eval::Matrix m(r, c);
  for (gan::index_t i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  return m;
}
}  // namespace

TEST_CASE("for_each_gram_block visits every product once, in row blocks", "[eval][features]") {
  // 300 rows: blocks of 128, 128 and 44.
  static_assert(gan::eval::gram_block_rows == 128);
  const auto a = random_matrix(300, 7, 1), b = random_matrix(45, 7, 2);
  const gan::eval::Matrix expected = a * b.transpose();
  gan::eval::GramWorkspace w;
  std::vector<gan::index_t> firsts;
  gan::eval::Matrix got(300, 45);
  gan::eval::for_each_gram_block(a, b, w,
                                 [&](gan::index_t first, gan::index_t rows, const double* block) {
                                   firsts.push_back(first);
                                   for (gan::index_t i = 0; i < rows; ++i)
                                     for (gan::index_t j = 0; j < 45; ++j)
                                       got(first + i, j) = block[i * 45 + j];
                                 });
  REQUIRE(firsts == std::vector<gan::index_t>{0, 128, 256});
  REQUIRE((got - expected).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("multiply matches Eigen and gives the same bits on 1 and 2 threads", "[eval][features]") {
  const auto a = random_matrix(130, 70, 3), b = random_matrix(130, 50, 4);
  gan::Tensor<double> packing;
  gan::eval::Matrix c1, c2;
  const int threads = gan::num_threads();
  gan::set_num_threads(1);
  gan::eval::multiply(a, true, b, false, c1, packing);
  gan::set_num_threads(2);
  gan::eval::multiply(a, true, b, false, c2, packing);
  gan::set_num_threads(threads);
  const gan::eval::Matrix expected = a.transpose() * b;
  REQUIRE(c1.rows() == 70);
  REQUIRE(c1.cols() == 50);
  REQUIRE((c1 - expected).cwiseAbs().maxCoeff() < 1e-11);
  REQUIRE(c1 == c2);
}

TEST_CASE("check_features names the metric, the argument and the shape", "[eval][features]") {
  gan::eval::Features f(2, 3);
  f.setZero();
  REQUIRE_THROWS_WITH(gan::eval::detail::check_features("metric", "the real", f, 3),
                      Catch::Equals("metric: the real features [2, 3]: expected [N >= 3, d >= 1]"));
}

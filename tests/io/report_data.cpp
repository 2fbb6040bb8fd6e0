#include "gan/io/report_data.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "gan/core/rng.hpp"

namespace {

gan::ReportStep row(std::int64_t step, double v) {
  gan::ReportStep r;
  r.step = step;
  r.epoch = step / 100 + 1;
  r.d_loss = v;
  r.g_loss = 2 * v;
  r.d_real = 0.5;
  r.d_fake = 0.25;
  r.images_per_s = 1000;
  return r;
}

/// The smallest valid PNG header (signature + IHDR of w x h); enough for GridStrip.
std::vector<unsigned char> fake_png(std::uint32_t w, std::uint32_t h, std::size_t size,
                                    unsigned char tag) {
  std::vector<unsigned char> p = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                  0,    0,   0,   13,  'I',  'H',  'D',  'R'};
  for (const std::uint32_t v : {w, h})
    for (int shift = 24; shift >= 0; shift -= 8)
      p.push_back(static_cast<unsigned char>(v >> shift));
  p.resize(std::max<std::size_t>(size, 33), tag);
  return p;
}

}  // namespace

TEST_CASE("Moments merge as if every value had been added to one", "[io][report]") {
  gan::Rng rng(3);
  std::vector<double> v(1001);
  for (double& x : v) x = 5 + 2 * rng.normal();
  gan::Moments all, a, b;
  for (std::size_t i = 0; i < v.size(); ++i) {
    all.add(v[i]);
    (i < 337 ? a : b).add(v[i]);
  }
  a.merge(b);
  double mean = 0, m2 = 0;
  for (const double x : v) mean += x / static_cast<double>(v.size());
  for (const double x : v) m2 += (x - mean) * (x - mean);
  CHECK(all.value() == Approx(mean).epsilon(1e-12));
  CHECK(a.value() == Approx(mean).epsilon(1e-12));
  CHECK(a.sd() == Approx(std::sqrt(m2 / static_cast<double>(v.size()))).epsilon(1e-12));
  CHECK(all.sd() == Approx(a.sd()).epsilon(1e-12));

  gan::Moments odd;
  odd.add(std::numeric_limits<double>::quiet_NaN());
  CHECK(std::isnan(odd.value()));
  odd.add(2);
  odd.add(std::numeric_limits<double>::infinity());
  odd.add(4);
  CHECK(odd.value() == 3);
  CHECK(odd.non_finite == 2);
  CHECK(odd.sd() == 1);
}

TEST_CASE("StepSeries keeps at most max_points buckets of equal width", "[io][report]") {
  gan::StepSeries s(2000);
  CHECK(s.empty());
  const std::int64_t n = 100000;
  for (std::int64_t i = 1; i <= n; ++i) s.add(row(i, static_cast<double>(i)));
  const auto& b = s.buckets();
  CHECK(b.size() <= 2000);
  CHECK(b.size() >= 1000);
  CHECK(s.rows() == n);
  CHECK(s.latest().step == n);
  // Width 64: 100000 rows need more than 2000 buckets of 32 and at most 2000 of 64.
  CHECK(s.rows_per_bucket() == 64);
  std::int64_t rows = 0;
  for (std::size_t k = 0; k < b.size(); ++k) {
    rows += b[k].rows;
    if (k + 1 < b.size()) {
      CHECK(b[k].rows == 64);
      CHECK(b[k + 1].first_step == b[k].last_step + 1);
    }
  }
  CHECK(rows == n);
  // Bucket 0 holds steps 1..64 (d_loss = step): mean 32.5, population s.d. sqrt((64^2-1)/12).
  CHECK(b[0].first_step == 1);
  CHECK(b[0].last_step == 64);
  CHECK(b[0][gan::StepField::d_loss].value() == Approx(32.5));
  CHECK(b[0][gan::StepField::d_loss].sd() == Approx(std::sqrt((64.0 * 64 - 1) / 12)));
  CHECK(b[0][gan::StepField::g_loss].value() == Approx(65));
  CHECK(b[0][gan::StepField::d_real].value() == Approx(0.5));
  CHECK(b[0][gan::StepField::d_real].sd() == Approx(0).margin(1e-12));
  CHECK(b[0].first_epoch == 1);
  CHECK(b[0].last_epoch == 1);
  CHECK(b.back().last_step == n);
}

TEST_CASE("StepSeries: a step at or before the latest drops what came from it on", "[io][report]") {
  gan::StepSeries s(8);
  for (std::int64_t i = 1; i <= 6; ++i) s.add(row(i, 1));  // width 1: six buckets
  s.add(row(4, 10));                                       // a resumed run's step 4
  const auto& b = s.buckets();
  REQUIRE(b.size() == 4);
  CHECK(b[2].last_step == 3);
  CHECK(b[3].first_step == 4);
  CHECK(b[3][gan::StepField::d_loss].value() == 10);
  CHECK(s.latest().step == 4);
}

TEST_CASE("StepSeries refuses max_points below 2", "[io][report]") {
  CHECK_THROWS_WITH(gan::StepSeries(1), "report: max_points must be >= 2, got 1");
}

TEST_CASE("EvalSeries thins itself and keeps every kept row whole", "[io][report]") {
  gan::EvalSeries e(100);
  for (std::int64_t i = 1; i <= 1000; ++i)
    e.add(i * 10, {{"fid", static_cast<double>(i)}, {"kid", 0.5 * static_cast<double>(i)}});
  const auto& rows = e.rows();
  CHECK(rows.size() <= 100);
  CHECK(rows.size() >= 50);
  CHECK(rows.front().step == 10);
  CHECK(rows.back().step == 10000);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    REQUIRE(rows[k].metrics.size() == 2);
    CHECK(rows[k].metrics.at("fid") == static_cast<double>(rows[k].step) / 10);
    CHECK(rows[k].metrics.at("kid") == static_cast<double>(rows[k].step) / 20);
    if (k > 0) CHECK(rows[k].step > rows[k - 1].step);
  }
  CHECK(e.names() == std::vector<std::string>{"fid", "kid"});

  e.add(5000, {{"precision", 0.7}});  // a rewind to step 5000
  CHECK(e.rows().back().step == 5000);
  CHECK(e.rows()[e.rows().size() - 2].step < 5000);
  CHECK(e.names() == std::vector<std::string>{"fid", "kid", "precision"});

  CHECK_THROWS_WITH(e.add(6000, {{"", 1.0}}),
                    "report: an evaluation at step 6000 has a metric without a name");
}

TEST_CASE("GridStrip keeps ~max_grids grids spread over the run, and the latest", "[io][report]") {
  gan::GridStrip g(40);
  for (std::int64_t i = 0; i < 500; ++i)
    g.add((i + 1) * 200, fake_png(10, 12, 50, static_cast<unsigned char>(i % 251)));
  const auto& grids = g.grids();
  CHECK(grids.size() <= 41);
  CHECK(grids.size() >= 21);
  CHECK(grids.front().step == 200);
  CHECK(grids.back().step == 500 * 200);
  // The kept grids are every stride-th one (evenly spread), and each has its own bytes.
  const std::uint64_t stride = grids[1].number - grids[0].number;
  CHECK(stride == 16);
  for (std::size_t k = 0; k < grids.size(); ++k) {
    CHECK(grids[k].width == 10);
    CHECK(grids[k].height == 12);
    REQUIRE(grids[k].png.size() == 50);
    CHECK(grids[k].png.back() == static_cast<unsigned char>(grids[k].number % 251));
    if (k + 1 < grids.size()) CHECK(grids[k].number % stride == 0);
  }
}

TEST_CASE("GridStrip keeps its PNG bytes under max_bytes", "[io][report]") {
  gan::GridStrip g(40, 10000);
  for (std::int64_t i = 0; i < 100; ++i) g.add(i, fake_png(4, 4, 1000, 7));
  CHECK(g.bytes() <= 10000);
  CHECK(g.grids().back().step == 99);
  CHECK(g.grids().front().step == 0);

  // A latest grid larger than the budget still stays (with the first).
  g.add(100, fake_png(4, 4, 20000, 7));
  CHECK(g.grids().back().step == 100);
  CHECK(g.grids().size() == 2);
}

TEST_CASE("GridStrip: a rewind drops later grids; bad bytes are refused", "[io][report]") {
  gan::GridStrip g(40);
  for (std::int64_t s : {100, 200, 300}) g.add(s, fake_png(4, 4, 40, 1));
  g.add(200, fake_png(4, 4, 40, 2));
  REQUIRE(g.grids().size() == 2);
  CHECK(g.grids().back().step == 200);
  CHECK(g.grids().back().png.back() == 2);

  CHECK_THROWS_WITH(g.add(400, std::vector<unsigned char>(64, 'x')),
                    "report: the grid of step 400 is not a PNG file (64 bytes without a PNG "
                    "signature and IHDR chunk)");
  CHECK_THROWS_WITH(gan::GridStrip(1), "report: max_grids must be >= 2, got 1");
}

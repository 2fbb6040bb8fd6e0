#include "gan/io/svg_chart.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

std::string unescape(std::string s) {
  const std::pair<const char*, const char*> entities[] = {
      {"&quot;", "\""}, {"&#39;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities)
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + 1))
      s.replace(at, std::string(from).size(), to);
  return s;
}

nlohmann::json chart_data(const std::string& svg) {
  const std::string key = "data-chart=\"";
  const std::size_t from = svg.find(key);
  REQUIRE(from != std::string::npos);
  const std::size_t begin = from + key.size();
  return nlohmann::json::parse(unescape(svg.substr(begin, svg.find('"', begin) - begin)));
}

gan::ChartSeries line(std::string name, std::vector<double> x, std::vector<double> y) {
  gan::ChartSeries s;
  s.name = std::move(name);
  s.x = std::move(x);
  s.y = std::move(y);
  return s;
}

}  // namespace

TEST_CASE("svg_line_chart draws lines, legend, axes and ticks", "[io][report]") {
  gan::ChartSpec spec;
  spec.y_label = "loss";
  const std::string svg =
      gan::svg_line_chart(spec, {line("D loss", {0, 1000, 2000}, {1.4, 0.9, 0.8}),
                                 line("G loss", {0, 1000, 2000}, {0.7, 2.1, 2.3})});
  CHECK(svg.rfind("<svg class=\"chart\"", 0) == 0);
  CHECK(svg.substr(svg.size() - 6) == "</svg>");
  CHECK(count(svg, "<svg") == count(svg, "</svg>"));
  CHECK(count(svg, "class=\"line\"") == 2);
  CHECK(svg.find(">D loss</text>") != std::string::npos);
  CHECK(svg.find(">G loss</text>") != std::string::npos);
  CHECK(svg.find(">step</text>") != std::string::npos);
  CHECK(svg.find(">loss</text>") != std::string::npos);
  CHECK(svg.find("(log scale)") == std::string::npos);
  // y from 0.7 to 2.3: loose nice ticks 0.5, 1.0, ..., 2.5; x ticks every 500 steps.
  CHECK(svg.find(">0.5</text>") != std::string::npos);
  CHECK(svg.find(">2.5</text>") != std::string::npos);
  CHECK(svg.find(">1500</text>") != std::string::npos);
  // No band without lo / hi, no dots on a line of several points.
  CHECK(count(svg, "class=\"band\"") == 0);
  CHECK(count(svg, "<circle") == 0);
}

TEST_CASE("svg_line_chart's data-chart JSON holds the values for the page's script",
          "[io][report]") {
  gan::ChartSpec spec;
  const std::string svg = gan::svg_line_chart(
      spec, {line("fid", {100, 200, 300}, {312.123456789, std::nan(""), 4.05})});
  const nlohmann::json d = chart_data(svg);
  REQUIRE(d["s"].size() == 1);
  CHECK(d["s"][0]["n"] == "fid");
  CHECK(d["s"][0]["x"] == nlohmann::json({100, 200, 300}));
  CHECK(d["s"][0]["y"][0].get<double>() == Approx(312.123).epsilon(1e-6));
  CHECK(d["s"][0]["y"][1].is_null());
  CHECK(d["x0"].get<double>() == 100);
  CHECK(d["x1"].get<double>() == 300);
  CHECK(d["log"].get<bool>());  // 4.05 .. 312: automatic log scale
}

TEST_CASE("svg_line_chart breaks a line at a non-finite value and dots lone points",
          "[io][report]") {
  gan::ChartSpec spec;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string svg = gan::svg_line_chart(
      spec,
      {line("a", {0, 1, 2, 3, 4, 5}, {1, 2, nan, 3, 4, 5}), line("b", {0, 1, 2}, {nan, 2.5, nan})});
  const std::size_t path = svg.find("class=\"line\"");
  REQUIRE(path != std::string::npos);
  const std::size_t start = svg.find("d=\"", path) + 3;
  const std::string d = svg.substr(start, svg.find('"', start) - start);
  CHECK(count(d, "M") == 2);
  CHECK(count(d, "L") == 3);
  CHECK(count(svg, "class=\"line\"") == 1);  // b has no two neighbouring points...
  CHECK(count(svg, "<circle") == 1);         // ...so its one point is a dot
}

TEST_CASE("svg_line_chart's y scale: automatic, forced, fixed range", "[io][report]") {
  gan::ChartSpec spec;
  spec.y_label = "fid";
  const std::string wide = gan::svg_line_chart(spec, {line("fid", {1, 2, 3}, {300, 30, 3})});
  CHECK(wide.find("fid (log scale)") != std::string::npos);
  CHECK(wide.find(">1k</text>") != std::string::npos);  // decades 1 .. 1000
  CHECK(wide.find(">1</text>") != std::string::npos);
  const std::string with_zero = gan::svg_line_chart(spec, {line("fid", {1, 2, 3}, {300, 30, 0})});
  CHECK(with_zero.find("(log scale)") == std::string::npos);
  spec.y_scale = gan::AxisScale::linear;
  CHECK(gan::svg_line_chart(spec, {line("fid", {1, 2, 3}, {300, 30, 3})}).find("(log scale)") ==
        std::string::npos);

  gan::ChartSpec prob;
  prob.y_min = 0;
  prob.y_max = 1;
  const std::string p = gan::svg_line_chart(prob, {line("D(x)", {1, 2}, {0.6, 0.7})});
  CHECK(p.find(">0.0</text>") != std::string::npos);
  CHECK(p.find(">1.0</text>") != std::string::npos);
  CHECK(p.find(">0.6</text>") != std::string::npos);
}

TEST_CASE("svg_line_chart: bands, markers, marks, a single point", "[io][report]") {
  gan::ChartSpec spec;
  spec.x_marks = {{500, "epoch 2"}, {5000, "outside"}};
  gan::ChartSeries s = line("D loss", {0, 1000}, {1, 2});
  s.lo = {0.9, 1.8};
  s.hi = {1.1, 2.2};
  gan::ChartSeries e = line("fid", {0, 1000}, {1.5, 1.2});
  e.markers = true;
  e.dashed = true;
  const std::string svg = gan::svg_line_chart(spec, {s, e});
  CHECK(count(svg, "class=\"band\"") == 1);
  CHECK(count(svg, "class=\"dot\"") == 2);
  CHECK(count(svg, "stroke-dasharray=\"6 4\"") == 1);
  CHECK(count(svg, "class=\"mark\"") == 1);  // 5000 is outside [0, 1000]
  CHECK(svg.find(">epoch 2</text>") != std::string::npos);

  // One point: the x range is widened around it, the point is a dot.
  const std::string one = gan::svg_line_chart(spec, {line("x", {7}, {3})});
  CHECK(count(one, "class=\"dot\"") == 1);
  const nlohmann::json d = chart_data(one);
  CHECK(d["x0"].get<double>() < 7);
  CHECK(d["x1"].get<double>() > 7);
}

TEST_CASE("svg_line_chart draws faint lines behind every line, inside the y range",
          "[io][report]") {
  gan::ChartSpec spec;
  gan::ChartSeries a = line("a", {0, 1, 2}, {1, 1.5, 2});
  a.faint = {0.5, 2.5, 1.5};
  gan::ChartSeries b = line("b", {0, 1, 2}, {2, 2, 2});
  b.faint = {2, 2, 2};
  const std::string svg = gan::svg_line_chart(spec, {a, b});
  CHECK(count(svg, "class=\"faint\"") == 2);
  CHECK(svg.rfind("class=\"faint\"") < svg.find("class=\"line\""));
  CHECK(svg.find(">0.5</text>") != std::string::npos);  // the faint 0.5 and 2.5 set the range
  CHECK(svg.find(">2.5</text>") != std::string::npos);
  const nlohmann::json d = chart_data(svg);
  CHECK(d["s"][0]["r"] == nlohmann::json({0.5, 2.5, 1.5}));
}

TEST_CASE("svg_line_chart without data says so", "[io][report]") {
  gan::ChartSpec spec;
  spec.empty_text = "waiting for the first steps";
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& series :
       {std::vector<gan::ChartSeries>{}, std::vector<gan::ChartSeries>{line("a", {}, {})},
        std::vector<gan::ChartSeries>{line("a", {1, 2}, {nan, nan})}}) {
    const std::string svg = gan::svg_line_chart(spec, series);
    CHECK(svg.find("waiting for the first steps") != std::string::npos);
    CHECK(svg.find("class=\"line\"") == std::string::npos);
    CHECK(svg.find("data-chart") == std::string::npos);
  }
}

TEST_CASE("svg_line_chart escapes its text", "[io][report]") {
  gan::ChartSpec spec;
  spec.y_label = "<b>y</b>";
  spec.x_marks = {{1, "<i>"}};
  const std::string svg =
      gan::svg_line_chart(spec, {line("</svg><script>alert(1)</script>", {0, 2}, {1, 2})});
  CHECK(svg.find("<script>") == std::string::npos);
  CHECK(svg.find("<b>") == std::string::npos);
  CHECK(svg.find("<i>") == std::string::npos);
  CHECK(svg.find("&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(count(svg, "<svg") == count(svg, "</svg>"));
  CHECK(chart_data(svg)["s"][0]["n"] == "</svg><script>alert(1)</script>");
}

TEST_CASE("svg_line_chart refuses a series whose lengths disagree", "[io][report]") {
  gan::ChartSpec spec;
  CHECK_THROWS_WITH(gan::svg_line_chart(spec, {line("bad", {1, 2, 3}, {1, 2})}),
                    "svg_line_chart: series 'bad': x has 3 values, y 2, lo 0, hi 0, faint 0 "
                    "(expected y as long as x, and lo, hi, faint empty or as long as x)");
  gan::ChartSeries s = line("band", {1, 2}, {1, 2});
  s.lo = {0, 1};
  CHECK_THROWS_WITH(gan::svg_line_chart(spec, {s}),
                    Catch::Contains("series 'band': x has 2 values, y 2, lo 2, hi 0"));
  gan::ChartSeries f = line("faint", {1, 2}, {1, 2});
  f.faint = {1};
  CHECK_THROWS_WITH(gan::svg_line_chart(spec, {f}), Catch::Contains("faint 1"));
}

TEST_CASE("nice ticks follow Heckbert's 1-2-5 steps", "[io][report]") {
  CHECK(gan::detail::nice_number(18760, false) == 20000);
  CHECK(gan::detail::tick_step(0, 18760, 6) == 5000);
  CHECK(gan::detail::tick_step(0.7, 2.3, 5) == Approx(0.5));
  CHECK(gan::detail::tick_step(0, 1, 5) == Approx(0.2));
  const auto t = gan::detail::ticks_of(1, 18760, 5000);
  CHECK(t == std::vector<double>{5000, 10000, 15000});
  const auto z = gan::detail::ticks_of(-0.4, 0.4, 0.2);
  REQUIRE(z.size() == 5);
  CHECK(z[2] == 0.0);
  CHECK_FALSE(std::signbit(z[2]));
}

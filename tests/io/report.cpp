#include "gan/io/report.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "io/synthetic_run.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("gan_io_report_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

const char* const hostile = "</script><script>alert(1)</script>";

/// A finished made-up run: `steps` steps, a grid every grid_every, an evaluation every 2000.
gan::TrainingReport finished_run(const TempDir& dir, std::int64_t steps, std::int64_t grid_every,
                                 bool big_grids) {
  gan::TrainingReport report(std::string("run ") + hostile);
  report.set_options({{"model", "dcgan28-bn"}, {"note", hostile}, {"nested", {{"a", 1}}}});
  report.set_total_steps(steps);
  gan::Rng rng(5);
  const std::string small = dir / "small.png";
  if (!big_grids) {
    gan::Tensor<float> images({4, 1, 6, 6});
    images.fill(0.25f);
    gan::write_png_grid(small, images);
  }
  for (std::int64_t s = 1; s <= steps; ++s) {
    report.add_step(gan::testing::synthetic_step(s, 1000, rng));
    if (s % grid_every == 0) {
      if (big_grids) {
        const std::string png = dir / ("grid_" + std::to_string(s) + ".png");
        gan::testing::write_synthetic_grid(png, static_cast<double>(s) / steps, 1);
        report.add_grid_file(s, png);
      } else {
        report.add_grid_file(s, small);
      }
    }
    if (s % 2000 == 0) report.add_eval(s, gan::testing::synthetic_eval(s));
  }
  report.set_final_metrics(gan::testing::synthetic_eval(steps));
  report.set_status(gan::RunStatus::finished, "done in 3 h");
  return report;
}

}  // namespace

TEST_CASE("TrainingReport writes one self-contained page with charts and grids", "[io][report]") {
  TempDir dir;
  const gan::TrainingReport report = finished_run(dir, 6000, 500, true);
  const std::string path = dir / "report.html";
  report.write(path);
  const std::string html = read(path);

  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.substr(html.size() - 8) == "</html>\n");
  CHECK(count(html, "<html") == 1);
  CHECK(count(html, "<body>") == 1);
  CHECK(count(html, "</body>") == 1);
  // Losses, D outputs, FID (with its floor), KID, precision / recall, throughput.
  CHECK(count(html, "<svg class=\"chart\"") == 6);
  CHECK(count(html, "<svg") == count(html, "</svg>"));
  CHECK(html.find("<h3>FID</h3>") != std::string::npos);
  CHECK(html.find("fid floor (real vs real)") != std::string::npos);
  CHECK(html.find("\u00d7 the real-vs-real floor") != std::string::npos);
  CHECK(html.find("<h3>precision / recall</h3>") != std::string::npos);
  // 12 grids, every one in the strip as a data: URI, and the viewer, the slider, the script.
  const auto& grids = report.state().grids.grids();
  CHECK(grids.size() == 12);
  CHECK(count(html, "src=\"data:image/png;base64,") == 12);
  CHECK(html.find("<img id=\"grid-view\"") != std::string::npos);
  CHECK(html.find("<input id=\"grid-slider\" type=\"range\" min=\"0\" max=\"11\"") !=
        std::string::npos);
  CHECK(html.find(gan::png_data_uri(grids.back().png)) != std::string::npos);
  CHECK(count(html, "<script>") == 1);
  CHECK(count(html, "</script>") == 1);
  CHECK(html.find("badge finished") != std::string::npos);
  CHECK(html.find("done in 3 h") != std::string::npos);
  CHECK(html.find("step 6,000 of 6,000") != std::string::npos);
  CHECK(html.find("card final") != std::string::npos);
  CHECK(html.find(">model</td><td class=\"v\">dcgan28-bn<") != std::string::npos);
  CHECK(html.find(">nested.a</td><td class=\"v\">1<") != std::string::npos);
  // Nothing from the network: a policy that forbids it, and no URL but the SVG namespace.
  CHECK(html.find("Content-Security-Policy\" content=\"default-src 'none'; img-src data:;") !=
        std::string::npos);
  CHECK(count(html, "http") ==
        count(html, "http-equiv") + count(html, "'http://www.w3.org/2000/svg'"));
  // No temporary file is left beside it.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) ==
        static_cast<std::ptrdiff_t>(12 + 1));
}

TEST_CASE("TrainingReport escapes a hostile option value, title and metric name", "[io][report]") {
  TempDir dir;
  gan::TrainingReport report = finished_run(dir, 300, 100, false);
  report.add_eval(400, {{hostile, 1.0}});
  report.set_status(gan::RunStatus::interrupted, hostile);
  const std::string html = report.html();
  CHECK(html.find(hostile) == std::string::npos);
  CHECK(html.find("alert(1)</") == std::string::npos);
  CHECK(html.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(count(html, "<script") == 1);
  CHECK(count(html, "</script") == 1);
  CHECK(html.find("<title>run &lt;/script&gt;") != std::string::npos);
}

TEST_CASE("TrainingReport's page stays bounded over 100,000 steps", "[io][report]") {
  TempDir dir;
  const gan::TrainingReport report = finished_run(dir, 100000, 200, false);
  const std::string html = report.html();
  // 500 grids written, at most 40 + the latest kept; at most 2,000 points per series.
  const auto& st = report.state();
  CHECK(st.grids.grids().size() <= 41);
  CHECK(count(html, "src=\"data:image/png;base64,") == st.grids.grids().size());
  CHECK(st.steps.buckets().size() <= 2000);
  CHECK(st.evals.rows().size() == 50);
  // Five step series of <= 2,000 points as SVG paths and as JSON: well under 2 MB.
  CHECK(html.size() < 2u * 1024 * 1024);
  const gan::TrainingReport short_run = finished_run(dir, 2000, 200, false);
  CHECK(html.size() < 4 * short_run.html().size());
}

TEST_CASE("TrainingReport renders an interrupted run: no evaluation, no final metrics",
          "[io][report]") {
  TempDir dir;
  gan::TrainingReport report("interrupted");
  gan::Rng rng(1);
  for (std::int64_t s = 1; s <= 250; ++s)
    report.add_step(gan::testing::synthetic_step(s, 100, rng));
  gan::testing::write_synthetic_grid(dir / "g.png", 0.1, 1);
  report.add_grid_file(200, dir / "g.png");
  const std::string html = report.html();
  CHECK(html.find("badge running") != std::string::npos);
  CHECK(html.find("no evaluation yet") != std::string::npos);
  CHECK(html.find("final metrics appear here when it finishes") != std::string::npos);
  CHECK(count(html, "<svg class=\"chart\"") == 4);
  CHECK(count(html, "src=\"data:image/png;base64,") == 1);
  CHECK(html.find("Pale: every step; bold: their moving average over 3 steps.") !=
        std::string::npos);
  CHECK(html.find("epoch 3") != std::string::npos);  // marks at steps 101 and 201
  CHECK(html.substr(html.size() - 8) == "</html>\n");

  report.set_status(gan::RunStatus::interrupted);
  CHECK(report.html().find("stopped before its final evaluation") != std::string::npos);
}

TEST_CASE("The step charts say what their points and lines are", "[io][report]") {
  gan::StepSeries s(2000);
  CHECK(gan::detail::step_caption(s) == "");
  gan::ReportStep r;
  for (r.step = 1; r.step <= 150; ++r.step) s.add(r);
  CHECK(gan::detail::step_caption(s) == "One point per step.");
  for (; r.step <= 100000; ++r.step) s.add(r);  // 1,563 buckets of 64 steps
  CHECK(gan::detail::step_caption(s) ==
        "Pale: the mean of every 64 steps; bold: their moving average over 15 points (960 "
        "steps).");
  gan::StepSeries few(100);
  for (r.step = 1; r.step <= 1000; ++r.step) few.add(r);  // 63 buckets of 16: no smoothing
  CHECK(gan::detail::step_caption(few) == "Each point is the mean of every 16 steps.");
}

TEST_CASE("moving_average is centred, shrinks at the ends, skips non-finite values",
          "[io][report]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> m = gan::detail::moving_average({1, 2, nan, 4, 5, nan}, 1);
  REQUIRE(m.size() == 6);
  CHECK(m[0] == 1.5);  // (1 + 2) / 2
  CHECK(m[1] == 1.5);  // (1 + 2) / 2, NaN skipped
  CHECK(m[2] == 3);    // (2 + 4) / 2
  CHECK(m[3] == 4.5);
  CHECK(m[4] == 4.5);
  CHECK(m[5] == 5);
  CHECK(std::isnan(gan::detail::moving_average({nan, nan}, 0)[1]));
  CHECK(gan::detail::moving_average({3, 4}, 0) == std::vector<double>{3, 4});
}

TEST_CASE("TrainingReport renders before the first step", "[io][report]") {
  gan::TrainingReport report;
  const std::string html = report.html();
  CHECK(html.find("waiting for the first steps") != std::string::npos);
  CHECK(html.find("No sample grid yet") != std::string::npos);
  CHECK(html.find("No options recorded") != std::string::npos);
  CHECK(html.find("no step yet") != std::string::npos);
  CHECK(count(html, "<svg class=\"chart\"") == 4);
  CHECK(html.find("http-equiv=\"refresh\"") == std::string::npos);
}

TEST_CASE("TrainingReport reloads itself only while running, when asked", "[io][report]") {
  gan::TrainingReport report;
  report.set_refresh_seconds(30);
  CHECK(report.html().find("<meta http-equiv=\"refresh\" content=\"30\">") != std::string::npos);
  report.set_status(gan::RunStatus::finished);
  CHECK(report.html().find("http-equiv=\"refresh\"") == std::string::npos);
}

TEST_CASE("TrainingReport::write replaces the page atomically and names a bad path",
          "[io][report]") {
  TempDir dir;
  gan::TrainingReport report("first");
  const std::string path = dir / "report.html";
  report.write(path);
  CHECK(read(path).find("<title>first</title>") != std::string::npos);
  report.set_title("second");
  report.write(path);
  CHECK(read(path).find("<title>second</title>") != std::string::npos);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);
  CHECK_THROWS_WITH(report.write(dir / "missing/report.html"),
                    Catch::StartsWith("report: cannot write '" + dir / "missing/report.html" +
                                      "': cannot create a temporary file beside it"));
}

TEST_CASE("TrainingReport::add_log_csv reads a run's log.csv back", "[io][report]") {
  TempDir dir;
  const std::string log = dir / "log.csv";
  write_text(log,
             "step,epoch,d_loss,g_loss,d_real,d_fake,images_per_s\n"
             "1,1,1.38,0.69,0.5,0.5,1200\n"
             "2,1,1.2,0.8,0.55,0.45,1300\n"
             "3,2,nan,0.9,0.6,0.4,1400\n"
             "4,2,1.1,0.9");  // killed while writing its last row
  gan::TrainingReport report;
  CHECK(report.add_log_csv(log) == 3);
  const gan::StepSeries& s = report.state().steps;
  CHECK(s.latest().step == 3);
  CHECK(s.latest().epoch == 2);
  CHECK(std::isnan(s.latest().d_loss));
  CHECK(s.latest().images_per_s == 1400);

  // Columns in another order, extra columns, CRLF line ends.
  write_text(log,
             "epoch,step,extra,images_per_s,d_fake,d_real,g_loss,d_loss\r\n"
             "1,7,x,900,0.1,0.9,2.5,0.3\r\n");
  gan::TrainingReport other;
  CHECK(other.add_log_csv(log) == 1);
  CHECK(other.state().steps.latest().step == 7);
  CHECK(other.state().steps.latest().d_loss == 0.3);
  CHECK(other.state().steps.latest().images_per_s == 900);
}

TEST_CASE("TrainingReport::add_log_csv and add_grid_file refuse bad files by name",
          "[io][report]") {
  TempDir dir;
  const std::string log = dir / "log.csv";
  gan::TrainingReport report;
  write_text(log,
             "step,epoch,d_loss,g_loss,d_real,d_fake,images_per_s\n1,1,1,1,1,1,1\n"
             "2,1,oops,1,1,1,1\n3,1,1,1,1,1,1\n");
  CHECK_THROWS_WITH(report.add_log_csv(log),
                    "report: '" + log +
                        "' line 3: expected numbers in columns step,epoch,d_loss,g_loss,d_real,"
                        "d_fake,images_per_s, got '2,1,oops,1,1,1,1'");
  write_text(
      log, "step,epoch,d_loss,g_loss,d_real,d_fake,images_per_s\nnan,1,1,1,1,1,1\n1,1,1,1,1,1,1\n");
  CHECK_THROWS_WITH(report.add_log_csv(log), Catch::Contains("line 2: expected numbers"));
  write_text(log, "step,epoch,d_loss,g_loss\n");
  CHECK_THROWS_WITH(report.add_log_csv(log),
                    Catch::StartsWith("report: '" + log + "' line 1: no column 'd_real'"));
  CHECK_THROWS_WITH(report.add_log_csv(dir / "none.csv"),
                    Catch::StartsWith("report: cannot read '" + dir / "none.csv" + "'"));
  CHECK_THROWS_WITH(report.add_grid_file(5, dir / "none.png"),
                    Catch::StartsWith("report: cannot read the grid '" + dir / "none.png" + "'"));
  write_text(dir / "text.png", "not a png at all, but long enough to have an IHDR");
  CHECK_THROWS_WITH(report.add_grid_file(5, dir / "text.png"),
                    Catch::StartsWith("report: the grid of step 5 is not a PNG file") &&
                        Catch::EndsWith("'" + dir / "text.png" + "'"));
}

TEST_CASE("TrainingReport::add_eval_csv reads evaluations, empty cells left out", "[io][report]") {
  TempDir dir;
  const std::string path = dir / "eval.csv";
  write_text(path, "step,fid,fid_floor,kid\n1000,80.5,3.1,0.09\n2000,40.25,,0.05\n3000,20,3");
  gan::TrainingReport report;
  CHECK(report.add_eval_csv(path) == 2);  // the last line has no newline: cut short
  const auto& rows = report.state().evals.rows();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].metrics ==
        std::map<std::string, double>{{"fid", 80.5}, {"fid_floor", 3.1}, {"kid", 0.09}});
  CHECK(rows[1].step == 2000);
  CHECK(rows[1].metrics == std::map<std::string, double>{{"fid", 40.25}, {"kid", 0.05}});

  write_text(path, "fid,step\n");
  CHECK_THROWS_WITH(report.add_eval_csv(path), "report: '" + path +
                                                   "' line 1: expected a header step,<metric>,"
                                                   "..., got 'fid,step'");
  write_text(path, "step,fid\n1000,1,2\n");
  CHECK_THROWS_WITH(report.add_eval_csv(path),
                    "report: '" + path +
                        "' line 2: expected a step and at most 1 numbers, got "
                        "'1000,1,2'");
}

TEST_CASE("TrainingReport::add_run_folder rebuilds a run's report from its files", "[io][report]") {
  TempDir dir;
  fs::create_directories(dir.path / "samples");
  std::string log = "step,epoch,d_loss,g_loss,d_real,d_fake,images_per_s\n";
  for (int s = 1; s <= 450; ++s)
    log += std::to_string(s) + "," + std::to_string((s - 1) / 100 + 1) + ",1.2,0.9,0.6,0.4,1500\n";
  write_text(dir / "log.csv", log);
  write_text(dir / "eval.csv", "step,fid\n200,50\n400,30\n");
  for (const char* name : {"step_000400.png", "step_000200.png", "final.png", "step_x.png"})
    gan::testing::write_synthetic_grid(dir / ("samples/" + std::string(name)), 0.5, 1);
  write_text(dir / "samples/notes.txt", "not a grid");

  gan::TrainingReport report;
  CHECK(report.add_run_folder(dir.path.string()) == 450);
  const auto& st = report.state();
  CHECK(st.steps.latest().step == 450);
  CHECK(st.evals.rows().size() == 2);
  REQUIRE(st.grids.grids().size() == 2);
  CHECK(st.grids.grids()[0].step == 200);
  CHECK(st.grids.grids()[1].step == 400);

  // A resumed run continues from its checkpoint at step 400: rows 401..450 are replaced.
  gan::Rng rng(2);
  report.add_step(gan::testing::synthetic_step(401, 100, rng));
  CHECK(report.state().steps.latest().step == 401);
  CHECK(report.state().steps.buckets().back().first_step == 401);

  gan::TrainingReport nothing;
  CHECK(nothing.add_run_folder((dir.path / "absent").string()) == 0);
  CHECK(nothing.state().steps.empty());
}

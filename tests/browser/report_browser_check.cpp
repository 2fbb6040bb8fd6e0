// The training report in a real browser: writes the reports of a made-up finished run, of
// a run interrupted early (no evaluation, no final metrics) and of a run that has not
// finished a step, opens each in headless chromium, and checks that
//   - the page's script ran to its end (it marks <body data-report-ready="ok">) and the
//     console shows no "Uncaught" error,
//   - every chart is there and every image decoded (the script counts them),
//   - a hostile option value stayed text (one <script> element in the rendered DOM),
//   - the screenshot is not blank: the first chart's area and the grid viewer's area
//     (where the script says they are) hold many distinct colours,
//   - the script works: the mouse over a chart shows its values, the slider moves the
//     viewer to another grid (a second script in a copy of the page plays the user).
// The screenshots stay in the output folder for a person to look at.
//
//   report_browser_check CHROMIUM OUT_DIR     (exit 77, "skipped", without CHROMIUM)

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "io/synthetic_run.hpp"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace fs = std::filesystem;

namespace {

const char* const kWindow = "1280,4600";  // tall enough for a whole report
int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "  ok    " : "  FAIL  ") << what << "\n";
  if (!ok) ++failures;
}

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string quote(const std::string& s) {  // for sh -c
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs chromium headless on `page` with `action` (--dump-dom or --screenshot=...), in a
/// fresh profile, with everything that could reach the network switched off.
int chromium(const std::string& exe, const fs::path& page, const std::string& action,
             const fs::path& out, const fs::path& log, const fs::path& profile) {
  fs::remove_all(profile);
  const std::string cmd =
      "timeout 180 " + quote(exe) +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --disable-extensions --hide-scrollbars --force-device-scale-factor=1"
      " --user-data-dir=" +
      quote(profile.string()) + " --enable-logging=stderr --v=0 --virtual-time-budget=5000" +
      " --window-size=" + kWindow + " " + action + " " + quote("file://" + page.string()) + " > " +
      quote(out.string()) + " 2> " + quote(log.string());
  return std::system(cmd.c_str());
}

/// The value of attribute `name` on the #report-check element of a dumped DOM.
std::string attribute(const std::string& dom, const std::string& name) {
  const std::size_t el = dom.find("id=\"report-check\"");
  if (el == std::string::npos) return "";
  const std::size_t end = dom.find('>', el), open = dom.rfind('<', el);
  const std::string tag = dom.substr(open, end - open);
  const std::size_t at = tag.find(name + "=\"");
  if (at == std::string::npos) return "";
  const std::size_t from = at + name.size() + 2;
  return tag.substr(from, tag.find('"', from) - from);
}

/// Distinct colours in a rectangle "x,y,w,h" of a decoded screenshot.
std::size_t colours_in(const unsigned char* px, int width, int height, int channels,
                       const std::string& rect) {
  int x = 0, y = 0, w = 0, h = 0;
  if (std::sscanf(rect.c_str(), "%d,%d,%d,%d", &x, &y, &w, &h) != 4) return 0;
  std::set<unsigned> seen;
  for (int r = std::max(0, y); r < std::min(height, y + h); ++r)
    for (int c = std::max(0, x); c < std::min(width, x + w); ++c) {
      const unsigned char* p = px + (static_cast<std::size_t>(r) * width + c) * channels;
      seen.insert(unsigned(p[0]) << 16 | unsigned(p[1]) << 8 | p[2]);
    }
  return seen.size();
}

struct Expect {
  int charts;
  int images;
  bool chart_data;  ///< the first chart has lines (else it says "waiting for the first steps")
  bool viewer;
};

void check_page(const std::string& exe, const fs::path& dir, const std::string& name,
                const Expect& e) {
  std::cout << name << ".html\n";
  const fs::path page = dir / (name + ".html"), dom_file = dir / (name + ".dom.html");
  const fs::path shot = dir / (name + ".png"), profile = dir / "profile";
  const int rc = chromium(exe, page, "--dump-dom", dom_file, dir / (name + ".dom.log"), profile);
  check(rc == 0, "chromium --dump-dom exits with 0 (got " + std::to_string(rc) + ")");
  const std::string dom = read(dom_file), log = read(dir / (name + ".dom.log"));
  check(dom.find("data-report-ready=\"ok\"") != std::string::npos,
        "the page's script ran to its end");
  check(log.find("Uncaught") == std::string::npos, "no uncaught script error in the console");
  check(log.find("Content Security Policy") == std::string::npos,
        "nothing was refused by the page's Content-Security-Policy");
  std::size_t scripts = 0;
  for (std::size_t at = dom.find("<script"); at != std::string::npos;
       at = dom.find("<script", at + 1))
    ++scripts;
  check(scripts == 1, "one <script> element (got " + std::to_string(scripts) + ")");
  check(attribute(dom, "data-charts") == std::to_string(e.charts),
        std::to_string(e.charts) + " charts (got " + attribute(dom, "data-charts") + ")");
  check(attribute(dom, "data-images") == std::to_string(e.images),
        std::to_string(e.images) + " images (got " + attribute(dom, "data-images") + ")");
  check(attribute(dom, "data-images-decoded") == attribute(dom, "data-images"),
        "every image decoded (" + attribute(dom, "data-images-decoded") + "; not: [" +
            attribute(dom, "data-images-failed") + "])");

  const int rs = chromium(exe, page, "--screenshot=" + quote(shot.string()),
                          dir / (name + ".shot.out"), dir / (name + ".shot.log"), profile);
  check(rs == 0 && fs::exists(shot), "chromium --screenshot wrote " + shot.string());
  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load(shot.string().c_str(), &w, &h, &c, 3);
  check(px != nullptr, "the screenshot decodes");
  if (px == nullptr) return;
  const std::string chart = attribute(dom, "data-chart-rect");
  const std::size_t chart_colours = colours_in(px, w, h, 3, chart);
  // Anti-aliased lines of several colours over a grid: hundreds of colours; the empty
  // chart's few words and axes: a few dozen.
  check(chart_colours >= (e.chart_data ? 150u : 8u),
        "the first chart (" + chart + ") is drawn: " + std::to_string(chart_colours) +
            " distinct colours");
  if (e.viewer) {
    const std::string viewer = attribute(dom, "data-viewer-rect");
    const std::size_t viewer_colours = colours_in(px, w, h, 3, viewer);
    check(viewer_colours >= 200, "the grid viewer (" + viewer + ") shows a grid: " +
                                     std::to_string(viewer_colours) + " distinct colours");
  }
  stbi_image_free(px);
}

/// The page's script at work: a copy of the page with a second script that, once the page
/// has loaded, moves the mouse over the first chart and the slider to the first grid, and
/// writes what the page then shows into #interaction.
void check_interaction(const std::string& exe, const fs::path& dir, const std::string& name) {
  std::cout << name << ".html, interacting\n";
  std::string page = read(dir / (name + ".html"));
  const std::string probe = R"js(<script>
window.addEventListener('load', function () {
  var out = document.createElement('p');
  out.id = 'interaction';
  var svg = document.querySelector('svg.chart[data-chart]'), r = svg.getBoundingClientRect();
  svg.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width / 2,
                                                 clientY: r.top + r.height / 2, bubbles: true}));
  var tip = document.getElementById('tip');
  out.setAttribute('data-tip', tip.style.display + '|' + tip.textContent);
  var slider = document.getElementById('grid-slider');
  slider.value = '0';
  slider.dispatchEvent(new Event('input'));
  out.setAttribute('data-label', document.getElementById('grid-label').textContent);
  out.setAttribute('data-first', String(document.getElementById('grid-view').src ===
                                        document.querySelector('#strip .thumb img').src));
  document.body.appendChild(out);
});
</script></body>)js";
  const std::size_t end = page.rfind("</body>");
  page.replace(end, 7, probe);
  const fs::path copy = dir / (name + ".interact.html"), dom_file = dir / (name + ".interact.dom");
  std::ofstream(copy, std::ios::binary) << page;
  const int rc =
      chromium(exe, copy, "--dump-dom", dom_file, dir / (name + ".interact.log"), dir / "profile");
  const std::string dom = read(dom_file), log = read(dir / (name + ".interact.log"));
  check(rc == 0 && log.find("Uncaught") == std::string::npos, "no script error");
  const std::size_t at = dom.find("<p id=\"interaction\"");
  check(at != std::string::npos, "the probe ran");
  if (at == std::string::npos) return;
  const std::string tag = dom.substr(at, dom.find('>', at) - at);
  check(tag.find("data-tip=\"block|step ") != std::string::npos &&
            tag.find("D loss: ") != std::string::npos && tag.find("G loss: ") != std::string::npos,
        "the mouse over the losses shows their values: " + tag.substr(0, 90));
  check(tag.find("data-label=\"step 400 (1 of ") != std::string::npos,
        "the slider at 0 labels the first grid");
  check(tag.find("data-first=\"true\"") != std::string::npos,
        "the slider at 0 shows the first grid");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: report_browser_check CHROMIUM OUT_DIR\n";
    return 2;
  }
  const std::string exe = argv[1];
  if (exe.empty() || exe.find("NOTFOUND") != std::string::npos || ::access(exe.c_str(), X_OK)) {
    std::cout << "chromium not found: the report's browser test is skipped "
                 "(scripts/install-deps.sh installs it)\n";
    return 77;
  }
  const fs::path dir = fs::absolute(argv[2]);
  fs::create_directories(dir / "grids");
  try {
    using namespace gan;
    const std::int64_t per_epoch = 938, total = 20 * per_epoch, grid_every = 400;
    nlohmann::json options = {{"model", "dcgan28-bn"},
                              {"epochs", 20},
                              {"batch", 64},
                              {"lr_g", 2e-4},
                              {"lr_d", 2e-4},
                              {"seed", 7},
                              {"note", "</script><script>alert(1)</script>"}};
    auto run = [&](TrainingReport& report, std::int64_t until, bool evals) {
      Rng rng(1);
      report.set_options(options);
      report.set_total_steps(total);
      for (std::int64_t s = 1; s <= until; ++s) {
        report.add_step(testing::synthetic_step(s, per_epoch, rng));
        if (s % grid_every == 0 || s == until) {
          const std::string png = (dir / "grids" / (std::to_string(s) + ".png")).string();
          testing::write_synthetic_grid(png, std::min(1.0, static_cast<double>(s) / 9000), 3);
          report.add_grid_file(s, png);
        }
        if (evals && s % 2000 == 0) report.add_eval(s, testing::synthetic_eval(s));
      }
    };
    TrainingReport full("dcgan28-bn on synthetic data");
    run(full, total, true);
    full.set_final_metrics(testing::synthetic_eval(total));
    full.set_status(RunStatus::finished);
    full.write((dir / "finished.html").string());
    // grids: 46 written (every 400 steps, and the last), kept <= 40 + the latest.
    const int kept = static_cast<int>(full.state().grids.grids().size());

    TrainingReport early("interrupted run");
    run(early, 650, false);  // killed: never told it finished
    early.write((dir / "interrupted.html").string());

    TrainingReport empty("no step yet");
    empty.set_options(options);
    empty.write((dir / "empty.html").string());

    // finished: losses, D outputs, FID, KID, precision / recall, throughput; each grid
    // once in the strip, plus the viewer.
    check_page(exe, dir, "finished", {6, kept + 1, true, true});
    // interrupted: losses, D outputs, the empty evaluation chart, throughput; 2 grids.
    check_page(exe, dir, "interrupted", {4, 2 + 1, true, true});
    check_page(exe, dir, "empty", {4, 0, false, false});
    check_interaction(exe, dir, "finished");
  } catch (const std::exception& e) {
    std::cout << "error: " << e.what() << "\n";
    return 1;
  }
  std::cout << (failures == 0 ? "all checks passed" : std::to_string(failures) + " checks failed")
            << "; screenshots in " << dir.string() << "\n";
  return failures == 0 ? 0 : 1;
}

#pragma once
/// TrainingReport: OUT/report.html, one self-contained page a person opens in a browser
/// (loss curves, D(x) and D(G(z)), evaluation metrics over steps, the sample grids over
/// time, the run's options, final metrics). docs/report.md shows it.
///
///   gan::TrainingReport report("dcgan28-bn on MNIST");
///   report.set_options(gan::run::to_json(options));
///   report.set_total_steps(run.total_steps());
///   report.add_step({step, epoch, d_loss, g_loss, d_real, d_fake, images_per_s});  // each step
///   report.add_grid_file(step, "OUT/samples/step_000200.png");    // each grid written
///   report.add_eval(step, {{"fid", 41.2}, {"fid_floor", 2.9}, {"kid", 0.031}});
///   report.write("OUT/report.html");     // whenever the page should be refreshed
///   ...
///   report.set_final_metrics({{"fid", 12.5}, {"fid_floor", 2.9}});
///   report.set_status(gan::RunStatus::finished);
///   report.write("OUT/report.html");
///
/// Every write is atomic (temporary file + rename, atomic_file.hpp): a browser reloading
/// the page during training, or a run killed mid-write, sees the previous page or the new
/// one, each whole. A run interrupted at any point therefore leaves a valid page (with
/// status "running" if it never said otherwise). Memory and page size stay bounded
/// (report_data.hpp): ~2,000 averaged points per step series, ~40 grids plus the latest.
///
/// add_log_csv(path) reads a run's log.csv back (a resumed run rebuilding its report, or a
/// report made after the fact); a malformed row throws gan::Error naming the file and line,
/// except a last line without its newline (a run killed mid-row), which is skipped.
///
/// Steps, evaluations and grids arrive in step order; one at or before the latest drops
/// what was recorded from its step on (report_data.hpp). Not thread-safe: one writer.

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/io/atomic_file.hpp"
#include "gan/io/report_data.hpp"
#include "gan/io/report_page.hpp"

namespace gan {

class TrainingReport {
 public:
  explicit TrainingReport(std::string title = "Training run", const ReportLimits& limits = {})
      : state_(limits) {
    state_.title = std::move(title);
  }

  void set_title(std::string title) { state_.title = std::move(title); }
  /// The run's options, shown as a table (objects flattened to dotted keys).
  void set_options(nlohmann::json options) { state_.options = std::move(options); }
  /// Steps the run will take in all (0: unknown); shown as "step N of M" and a progress bar.
  void set_total_steps(std::int64_t total) { state_.total_steps = total > 0 ? total : 0; }
  /// running (the default), finished, interrupted or failed; note: one line shown under
  /// the title, e.g. "interrupted at step 1,200: resume with --resume ...".
  void set_status(RunStatus status, std::string note = "") {
    state_.status = status;
    state_.note = std::move(note);
  }
  /// > 0: the page reloads itself every that many seconds while the status is running.
  void set_refresh_seconds(int seconds) { state_.refresh_seconds = seconds > 0 ? seconds : 0; }

  void add_step(const ReportStep& row) { state_.steps.add(row); }
  /// Named metrics at a step: fid, fid_floor, kid, precision, recall, ... (any names;
  /// X_floor is drawn dashed beside X, and the cards say X / X_floor).
  void add_eval(std::int64_t step, std::map<std::string, double> metrics) {
    state_.evals.add(step, std::move(metrics));
  }
  /// A sample grid as the bytes of a PNG file.
  void add_grid(std::int64_t step, std::vector<unsigned char> png) {
    state_.grids.add(step, std::move(png));
  }
  /// A sample grid from a PNG file (e.g. the run's samples/step_NNNNNN.png).
  void add_grid_file(std::int64_t step, const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error("report: cannot read the grid '" + path + "': " + std::strerror(errno));
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)),
                                     std::istreambuf_iterator<char>());
    if (f.bad()) throw Error("report: cannot read the grid '" + path + "'");
    try {
      add_grid(step, std::move(bytes));
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + ": '" + path + "'");
    }
  }
  void set_final_metrics(std::map<std::string, double> metrics) {
    state_.final_metrics = std::move(metrics);
  }

  /// Adds the rows of a log.csv (header step,epoch,d_loss,g_loss,d_real,d_fake,images_per_s,
  /// columns in any order, extra columns ignored); returns the number of rows added.
  std::int64_t add_log_csv(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error("report: cannot read '" + path + "': " + std::strerror(errno));
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    static const char* wanted[] = {"step",   "epoch",  "d_loss",      "g_loss",
                                   "d_real", "d_fake", "images_per_s"};
    int column[7];
    std::int64_t added = 0, line_no = 0;
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t end = text.find('\n', at);
      const bool complete = end != std::string::npos;
      if (!complete) end = text.size();
      std::string line = text.substr(at, end - at);
      at = end + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::vector<std::string> cells = split(line);
      if (line_no == 1) {
        for (int k = 0; k < 7; ++k) {
          column[k] = -1;
          for (std::size_t c = 0; c < cells.size(); ++c)
            if (cells[c] == wanted[k]) column[k] = static_cast<int>(c);
          if (column[k] < 0)
            throw Error("report: '" + path + "' line 1: no column '" + wanted[k] +
                        "' (expected a header step,epoch,d_loss,g_loss,d_real,d_fake,"
                        "images_per_s)");
        }
        continue;
      }
      if (line.empty()) continue;
      double v[7];
      bool ok = true;
      for (int k = 0; k < 7 && ok; ++k) {
        const std::size_t c = static_cast<std::size_t>(column[k]);
        ok = c < cells.size() && parse(cells[c], v[k]);
        // step and epoch are whole numbers (a cast of anything else is undefined)
        if (ok && k < 2) ok = std::fabs(v[k]) < 9e15 && v[k] == std::floor(v[k]);
      }
      if (!ok) {
        if (!complete) break;  // the last row of a run killed while writing it
        throw Error("report: '" + path + "' line " + std::to_string(line_no) +
                    ": expected numbers in columns step,epoch,d_loss,g_loss,d_real,d_fake,"
                    "images_per_s, got '" +
                    line + "'");
      }
      add_step({static_cast<std::int64_t>(v[0]), static_cast<std::int64_t>(v[1]), v[2], v[3], v[4],
                v[5], v[6]});
      ++added;
    }
    return added;
  }

  const ReportState& state() const noexcept { return state_; }

  /// The page, stamped with the local time.
  std::string html() const { return render_report_html(state_, now()); }

  /// Writes the page atomically; gan::Error names the path if it cannot.
  void write(const std::string& path) const {
    const std::string page = html();
    detail::AtomicFile file(path, "report");
    file.write(page.data(), page.size());
    file.commit();
  }

 private:
  static std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream in(line);
    while (std::getline(in, cell, ',')) cells.push_back(cell);
    return cells;
  }

  /// A whole cell as a number; "nan" and "inf" (as a stream writes them) are numbers.
  static bool parse(const std::string& cell, double& v) {
    if (cell.empty()) return false;
    char* end = nullptr;
    v = std::strtod(cell.c_str(), &end);
    return end == cell.c_str() + cell.size();
  }

  static std::string now() {
    const std::time_t t = std::time(nullptr);
    std::tm local{};
    char buf[64];
    if (localtime_r(&t, &local) == nullptr ||
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local) == 0)
      return "at an unknown time";
    return buf;
  }

  ReportState state_;
};

}  // namespace gan

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
/// add_run_folder(out) rebuilds the report of a run folder (a resumed run, or a report
/// made after the fact) from its log.csv (add_log_csv), eval.csv (add_eval_csv) and
/// samples/step_NNNNNN.png. A malformed CSV row throws gan::Error naming the file and line,
/// except a last line without its newline (a run killed mid-row), which is skipped.
///
/// Steps, evaluations and grids arrive in step order; one at or before the latest drops
/// what was recorded from its step on (report_data.hpp). Not thread-safe: one writer.

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
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
    const std::string text = read_text(path);
    static const char* wanted[] = {"step",   "epoch",  "d_loss",      "g_loss",
                                   "d_real", "d_fake", "images_per_s"};
    std::size_t column[7] = {};
    std::int64_t added = 0, line_no = 0;
    for_each_line(text, [&](const std::string& line, bool complete) {
      if (!complete) return false;  // a row cut short by a run killed while writing it
      const std::vector<std::string> cells = split(line);
      if (++line_no == 1) {
        for (int k = 0; k < 7; ++k) {
          const auto at = std::find(cells.begin(), cells.end(), wanted[k]);
          if (at == cells.end())
            throw Error("report: '" + path + "' line 1: no column '" + wanted[k] +
                        "' (expected a header step,epoch,d_loss,g_loss,d_real,d_fake,"
                        "images_per_s)");
          column[k] = static_cast<std::size_t>(at - cells.begin());
        }
        return true;
      }
      if (line.empty()) return true;
      double v[7];
      bool ok = true;
      for (int k = 0; k < 7 && ok; ++k) {
        ok = column[k] < cells.size() &&
             (k < 2 ? parse_step(cells[column[k]], v[k]) : parse(cells[column[k]], v[k]));
      }
      if (!ok)
        throw Error("report: '" + path + "' line " + std::to_string(line_no) +
                    ": expected numbers in columns step,epoch,d_loss,g_loss,d_real,d_fake,"
                    "images_per_s, got '" +
                    line + "'");
      add_step({static_cast<std::int64_t>(v[0]), static_cast<std::int64_t>(v[1]), v[2], v[3], v[4],
                v[5], v[6]});
      ++added;
      return true;
    });
    return added;
  }

  /// Adds the rows of an evaluation CSV: a header "step,<metric>,<metric>,..." and a row
  /// per evaluation; an empty cell is a metric not computed at that step. Returns the rows.
  std::int64_t add_eval_csv(const std::string& path) {
    const std::string text = read_text(path);
    std::vector<std::string> header;
    std::int64_t added = 0, line_no = 0;
    for_each_line(text, [&](const std::string& line, bool complete) {
      if (!complete) return false;  // a row cut short by a run killed while writing it
      const std::vector<std::string> cells = split(line);
      if (++line_no == 1) {
        header = cells;
        if (header.empty() || header[0] != "step")
          throw Error("report: '" + path + "' line 1: expected a header step,<metric>,..., got '" +
                      line + "'");
        return true;
      }
      if (line.empty()) return true;
      double step = 0;
      std::map<std::string, double> metrics;
      bool ok = cells.size() <= header.size() && !cells.empty() && parse_step(cells[0], step);
      for (std::size_t c = 1; ok && c < cells.size(); ++c) {
        double v = 0;
        if (cells[c].empty()) continue;
        ok = parse(cells[c], v);
        metrics[header[c]] = v;
      }
      if (!ok)
        throw Error("report: '" + path + "' line " + std::to_string(line_no) +
                    ": expected a step and at most " + std::to_string(header.size() - 1) +
                    " numbers, got '" + line + "'");
      add_eval(static_cast<std::int64_t>(step), std::move(metrics));
      ++added;
      return true;
    });
    return added;
  }

  /// Rebuilds the report of a run folder as TrainingRun writes it (a resumed run, or a
  /// report made after the fact): OUT/log.csv, OUT/eval.csv and the grids
  /// OUT/samples/step_NNNNNN.png in step order, each where it exists. Returns the steps read.
  std::int64_t add_run_folder(const std::string& out) {
    namespace fs = std::filesystem;
    const fs::path dir(out);
    std::error_code ec;
    std::int64_t steps = 0;
    if (fs::exists(dir / "log.csv", ec)) steps = add_log_csv((dir / "log.csv").string());
    if (fs::exists(dir / "eval.csv", ec)) add_eval_csv((dir / "eval.csv").string());
    std::vector<std::pair<std::int64_t, std::string>> grids;
    for (fs::directory_iterator it(dir / "samples", ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      double step = 0;
      if (name.size() > 9 && name.compare(0, 5, "step_") == 0 &&
          name.compare(name.size() - 4, 4, ".png") == 0 &&
          parse_step(name.substr(5, name.size() - 9), step))
        grids.emplace_back(static_cast<std::int64_t>(step), it->path().string());
    }
    std::sort(grids.begin(), grids.end());
    for (const auto& [step, path] : grids) add_grid_file(step, path);
    return steps;
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
  static std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error("report: cannot read '" + path + "': " + std::strerror(errno));
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }

  /// Calls each(line, complete) for every line (without "\n" or "\r\n"); complete is false
  /// for a last line without its newline. Stops early when each returns false.
  template <class F>
  static void for_each_line(const std::string& text, F each) {
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t end = text.find('\n', at);
      const bool complete = end != std::string::npos;
      if (!complete) end = text.size();
      std::string line = text.substr(at, end - at);
      at = end + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!each(line, complete)) return;
    }
  }

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

  /// A whole number that fits a step (casting anything else would be undefined).
  static bool parse_step(const std::string& cell, double& v) {
    return parse(cell, v) && std::fabs(v) < 9e15 && v == std::floor(v);
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

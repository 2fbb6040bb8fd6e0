#pragma once
/// open_run_log: opens one of a run's CSV logs (log.csv, eval.csv) for appending rows.
///
///   std::ofstream log = run::open_run_log(out / "log.csv", "step,epoch,...", steps_done);
///
/// A new run (steps_done == 0) starts the file afresh with its header. A resumed one keeps
/// the header and the rows of steps <= steps_done, and drops the rest before appending:
/// rows written after the checkpoint it resumes from (a run killed between two saves logs
/// steps that the resumed run then does again), and a last line without its newline (a run
/// killed mid-row, whose fragment the next row would otherwise be glued to). So every step
/// appears once, in order. A resumed run whose file is missing or empty (a new --out)
/// gets the header. The kept rows are rewritten atomically (io/atomic_file.hpp): a crash
/// meanwhile leaves the old file. A row whose step does not parse is kept as it is.
/// Errors throw gan::Error naming the file.

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "gan/core/error.hpp"
#include "gan/io/atomic_file.hpp"

namespace gan::run {

namespace detail {
/// The rows of `text` that a run resumed at steps_done keeps (see above), header first.
inline std::string kept_log_rows(const std::string& text, const std::string& header,
                                 std::int64_t steps_done) {
  std::string kept;
  std::size_t at = 0;
  bool first = true;
  for (std::size_t end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
    const std::string line = text.substr(at, end - at);
    if (first) {
      first = false;
      if (line.compare(0, 4, "step") == 0) {  // the header (an older version's stays)
        kept += line + '\n';
        continue;
      }
      kept += header + '\n';
    }
    char* stop = nullptr;
    const long long step = std::strtoll(line.c_str(), &stop, 10);
    const bool parsed = stop != line.c_str() && (*stop == ',' || *stop == '\0');
    if (!parsed || step <= steps_done) kept += line + '\n';
  }
  return first ? header + '\n' : kept;
}
}  // namespace detail

inline std::ofstream open_run_log(const std::string& path, const std::string& header,
                                  std::int64_t steps_done) {
  const auto fail = [&path] { return Error("cannot write '" + path + "'"); };
  if (steps_done == 0) {
    std::ofstream fresh(path, std::ios::trunc);
    if (!(fresh << header << '\n')) throw fail();
    return fresh;
  }
  std::string text;
  if (std::ifstream in{path, std::ios::binary})
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  const std::string kept = detail::kept_log_rows(text, header, steps_done);
  if (kept != text) {
    gan::detail::AtomicFile file(path, "log");
    file.write(kept.data(), kept.size());
    file.commit();
  }
  std::ofstream log(path, std::ios::app);
  if (!log) throw fail();
  return log;
}

}  // namespace gan::run

#pragma once
// A one-line progress bar on stderr: epoch, step, losses, D(x), D(G(z)), the last FID and
// its ratio to the real-vs-real floor, images/s, the threads of the last step, ETA.
// On a terminal it redraws in place; otherwise (a log file, CI) it prints a line every
// `every` steps so the output stays readable.

#include <unistd.h>

#include <cstdio>
#include <gan/run/training_run.hpp>
#include <string>

class ProgressBar {
 public:
  explicit ProgressBar(std::int64_t every)
      : every_(every > 0 ? every : 1), tty_(isatty(STDERR_FILENO) != 0) {}

  void update(const gan::run::Progress& p) {
    if (!tty_ && p.step % every_ != 0 && p.step != p.total) return;
    const double done =
        p.total > 0 ? static_cast<double>(p.step) / static_cast<double>(p.total) : 1.0;
    const int width = 20;
    std::string bar(static_cast<std::size_t>(width), ' ');
    for (int i = 0; i < static_cast<int>(done * width + 0.5) && i < width; ++i)
      bar[static_cast<std::size_t>(i)] = '=';
    const long eta_s = static_cast<long>(p.eta_s + 0.5);
    char fid[48] = "";
    if (p.fid > 0 && p.fid_floor > 0)
      std::snprintf(fid, sizeof fid, "  FID %.2f (%.1fx floor)", p.fid, p.fid / p.fid_floor);
    std::fprintf(
        stderr,
        "%sepoch %lld/%lld [%s] step %lld/%lld  D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f%s  "
        "%.0f img/s on %d thread%s  ETA %ld:%02ld%s",
        tty_ ? "\r" : "", static_cast<long long>(p.epoch), static_cast<long long>(p.epochs),
        bar.c_str(), static_cast<long long>(p.step), static_cast<long long>(p.total),
        p.stats.d_loss, p.stats.g_loss, p.stats.d_real, p.stats.d_fake, fid, p.images_per_s,
        p.threads, p.threads == 1 ? "" : "s", eta_s / 60, eta_s % 60, tty_ ? "\033[K" : "\n");
    std::fflush(stderr);
    drawn_ = tty_;
  }

  /// Ends a redrawn line before other output.
  void finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  std::int64_t every_;
  bool tty_, drawn_ = false;
};

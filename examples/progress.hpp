#pragma once
// A one-line progress bar on stderr: epoch, step, losses, D(x), D(G(z)), images/s, ETA.
// On a terminal it redraws in place; otherwise (a log file, CI) it prints a line every
// `every` steps so the output stays readable.

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

class Progress {
 public:
  Progress(std::int64_t total_steps, std::int64_t every)
      : total_(total_steps), every_(every > 0 ? every : 1), tty_(isatty(STDERR_FILENO) != 0) {}

  /// Called after every step (numbered from 1); rate in images/s, eta in seconds.
  void update(std::int64_t step, std::int64_t epoch, std::int64_t epochs, double d_loss,
              double g_loss, double d_real, double d_fake, double rate, double eta) {
    if (!tty_ && step % every_ != 0 && step != total_) return;
    const double done = total_ > 0 ? static_cast<double>(step) / static_cast<double>(total_) : 1.0;
    const int width = 20;
    std::string bar(static_cast<std::size_t>(width), ' ');
    for (int i = 0; i < static_cast<int>(done * width + 0.5) && i < width; ++i)
      bar[static_cast<std::size_t>(i)] = '=';
    const long eta_s = static_cast<long>(eta + 0.5);
    std::fprintf(stderr,
                 "%sepoch %lld/%lld [%s] step %lld/%lld  D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  "
                 "%.0f img/s  ETA %ld:%02ld%s",
                 tty_ ? "\r" : "", static_cast<long long>(epoch), static_cast<long long>(epochs),
                 bar.c_str(), static_cast<long long>(step), static_cast<long long>(total_), d_loss,
                 g_loss, d_real, d_fake, rate, eta_s / 60, eta_s % 60, tty_ ? "\033[K" : "\n");
    std::fflush(stderr);
  }

  /// Ends the redrawn line before other output.
  void finish() {
    if (tty_) std::fputc('\n', stderr);
  }

 private:
  std::int64_t total_, every_;
  bool tty_;
};

// Progress of a sweep on stderr: one redrawn status line on a terminal
// (runs done/total, failures, throughput, ETA), plain log lines otherwise.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "harness/sweep.h"
#include "results/store.h"

namespace genbench {

class Progress {
 public:
  // `total` counts the runs of this invocation (a resume counts only the rest).
  Progress(size_t total, bool tty, std::FILE* out = stderr);
  void started(const RunSpec& run);
  void finished(const RunRecord& run);
  void interrupted(const RunSpec& run);
  void tick();  // redraws the status line, at most 5 times a second
  void done();

  size_t ok() const { return ok_; }
  size_t failed() const { return failed_; }
  size_t diverged() const { return diverged_; }

 private:
  std::string status_line() const;
  void draw(bool force);

  size_t total_, ok_ = 0, failed_ = 0, diverged_ = 0, running_ = 0;
  bool tty_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace genbench

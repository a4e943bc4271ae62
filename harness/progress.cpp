#include "harness/progress.h"

namespace genbench {

namespace {

std::string clock_text(double seconds) {
  auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace

Progress::Progress(size_t total, bool tty, std::FILE* out)
    : total_(total), tty_(tty), out_(out), start_(std::chrono::steady_clock::now()), last_draw_() {}

std::string Progress::status_line() const {
  size_t done = ok_ + failed_ + diverged_;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char buf[256];
  int n = snprintf(buf, sizeof buf, "[%zu/%zu] %zu ok, %zu failed, %zu diverged | %zu running | %s elapsed", done,
                   total_, ok_, failed_, diverged_, running_, clock_text(elapsed).c_str());
  if (done > 0 && done < total_) {
    double rate = done / elapsed;
    snprintf(buf + n, sizeof buf - n, " | %.2f runs/min | ETA %s", rate * 60, clock_text((total_ - done) / rate).c_str());
  }
  return buf;
}

void Progress::draw(bool force) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  std::fprintf(out_, "\r\033[K%s", status_line().c_str());
  std::fflush(out_);
}

void Progress::started(const RunSpec&) {
  ++running_;
  draw(false);
}

void Progress::finished(const RunRecord& run) {
  --running_;
  if (run.status == RunStatus::Ok) ++ok_;
  else if (run.status == RunStatus::Diverged) ++diverged_;
  else ++failed_;
  bool bad = run.status != RunStatus::Ok;
  if (!tty_ || bad) {
    if (tty_) std::fprintf(out_, "\r\033[K");
    // Epoch-based tasks log well under a step a second: two significant digits, not "0".
    std::fprintf(out_, "[%zu/%zu] %-8s %s  %s seed=%llu  %.2f s  %.*f steps/s%s%s\n", ok_ + failed_ + diverged_,
                 total_, to_string(run.status).c_str(), run.id.c_str(), run.point.c_str(),
                 static_cast<unsigned long long>(run.seed), run.wall_time_s, run.steps_per_s < 10 ? 2 : 0,
                 run.steps_per_s, bad ? "\n    " : "",
                 bad ? run.error.c_str() : "");
  }
  draw(true);
}

void Progress::interrupted(const RunSpec&) { --running_; }

void Progress::tick() { draw(false); }

void Progress::done() {
  if (tty_) std::fprintf(out_, "\r\033[K");
  std::fprintf(out_, "%s\n", status_line().c_str());
  std::fflush(out_);
}

}  // namespace genbench

#include "harness/progress.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace genbench {

namespace {

std::string clock_text(double seconds) {
  auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::optional<double> positive_number(const Params& params, const std::string& key) {
  if (!params.has(key)) return std::nullopt;
  const auto& v = params.get(key);
  double x = std::holds_alternative<double>(v)    ? std::get<double>(v)
             : std::holds_alternative<int64_t>(v) ? static_cast<double>(std::get<int64_t>(v))
                                                  : NAN;
  if (!(x > 0) || !std::isfinite(x)) return std::nullopt;
  return x;
}

// Solves (A) x = b in place, Gaussian elimination with partial pivoting; A is small and, with the ridge, regular.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t pivot = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[pivot][c])) pivot = r;
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    if (std::fabs(a[c][c]) < 1e-300) continue;
    for (size_t r = c + 1; r < n; ++r) {
      double f = a[r][c] / a[c][c];
      for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n, 0);
  for (size_t c = n; c-- > 0;) {
    double s = b[c];
    for (size_t k = c + 1; k < n; ++k) s -= a[c][k] * x[k];
    x[c] = std::fabs(a[c][c]) < 1e-300 ? 0 : s / a[c][c];
  }
  return x;
}

}  // namespace

CostModel::CostModel(const std::vector<RunSpec>& plan) {
  // a feature is a numeric parameter, positive in every run, that takes more than one value
  std::map<std::string, std::set<double>> values;
  std::set<std::string> unusable;
  for (const auto& run : plan)
    for (const auto& [key, v] : run.params.values()) {
      if (unusable.count(key)) continue;
      if (auto x = positive_number(run.params, key)) values[key].insert(*x);
      else unusable.insert(key);
    }
  for (const auto& [key, seen] : values)
    if (!unusable.count(key) && seen.size() > 1) features_.push_back(key);
}

std::vector<double> CostModel::row(const Params& params) const {
  std::vector<double> out{1.0};
  for (const auto& key : features_) {
    auto x = positive_number(params, key);
    out.push_back(x ? std::log(*x) : 0.0);
  }
  return out;
}

void CostModel::observe(const Params& params, double seconds) {
  rows_.push_back(row(params));
  log_seconds_.push_back(std::log(std::max(seconds, 1e-3)));
  fitted_ = false;
}

void CostModel::fit() const {
  const size_t n = features_.size() + 1;
  std::vector<std::vector<double>> a(n, std::vector<double>(n, 0));
  std::vector<double> b(n, 0);
  for (size_t i = 0; i < rows_.size(); ++i)
    for (size_t r = 0; r < n; ++r) {
      b[r] += rows_[i][r] * log_seconds_[i];
      for (size_t c = 0; c < n; ++c) a[r][c] += rows_[i][r] * rows_[i][c];
    }
  // a light ridge on the slopes: with few runs (or a parameter that has not
  // varied yet) a cost does not depend on what has not been seen to move it
  for (size_t r = 1; r < n; ++r) a[r][r] += 0.05;
  coef_ = solve(a, b);
  double ss = 0;
  for (size_t i = 0; i < rows_.size(); ++i) {
    double fitted = 0;
    for (size_t r = 0; r < n; ++r) fitted += coef_[r] * rows_[i][r];
    ss += (log_seconds_[i] - fitted) * (log_seconds_[i] - fitted);
  }
  spread_ = rows_.size() > n ? ss / static_cast<double>(rows_.size() - n) : 0;
  fitted_ = true;
}

std::optional<double> CostModel::predict(const Params& params) const {
  if (rows_.empty()) return std::nullopt;
  if (!fitted_) fit();
  auto x = row(params);
  double log_s = 0;
  for (size_t r = 0; r < x.size(); ++r) log_s += coef_[r] * x[r];
  return std::exp(log_s + std::min(spread_, 2.0) / 2);  // the mean of a log-normal, not its median
}

Progress::Progress(size_t total, bool tty, std::FILE* out)
    : total_(total), tty_(tty), out_(out), start_(std::chrono::steady_clock::now()), last_draw_() {}

void Progress::plan(const std::vector<RunSpec>& runs, int jobs, std::function<int64_t(const RunSpec&)> last_step) {
  runs_ = &runs;
  jobs_ = std::max(1, jobs);
  last_step_ = std::move(last_step);
  model_.emplace(runs);
}

void Progress::refresh_queue_cost() {
  queue_cost_ = 0;
  if (!runs_ || !model_) return;
  for (size_t i = started_; i < runs_->size(); ++i) queue_cost_ += model_->predict((*runs_)[i].params).value_or(0);
}

std::optional<double> Progress::eta_seconds() const {
  size_t done = ok_ + failed_ + diverged_;
  if (done == 0 || done >= total_) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  if (!runs_ || !model_) {  // no plan given: the mean time per run so far
    double elapsed = std::chrono::duration<double>(now - start_).count();
    return (total_ - done) * elapsed / done;
  }
  double running = 0, longest = 0;
  for (const auto& [index, r] : running_runs_) {
    double elapsed = std::chrono::duration<double>(now - r.since).count();
    double predicted = model_->predict(r.spec->params).value_or(elapsed);
    double left = std::max(0.0, predicted - elapsed);
    if (r.last_step > 0 && r.step > 0) {  // the task said how far it goes: trust its pace once it has one
      double f = std::min(1.0, static_cast<double>(r.step) / static_cast<double>(r.last_step));
      if (f >= 0.2) left = elapsed * (1 - f) / f;
    }
    running += left;
    longest = std::max(longest, left);
  }
  if (started_ >= runs_->size()) return longest;  // the last runs: the slowest decides
  return std::max(longest, (queue_cost_ + running) / jobs_);
}

std::string Progress::running_text() const {
  if (running_runs_.empty() || !last_step_) return "";
  std::string out;
  size_t shown = 0;
  for (const auto& [index, r] : running_runs_) {
    if (shown++ == 3) {
      out += " ...";
      break;
    }
    std::string what = r.spec->point.empty() ? r.spec->id.substr(0, 8) : r.spec->point;
    if (what.size() > 18) what = what.substr(0, 17) + "~";
    out += " " + what + " s" + std::to_string(r.spec->seed);
    if (r.last_step > 0 && r.step >= 0)
      out += " " + std::to_string(std::min<int64_t>(100, 100 * r.step / r.last_step)) + "%";
  }
  return " |" + out;
}

std::string Progress::status_line() const {
  size_t done = ok_ + failed_ + diverged_;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char buf[256];
  int n = snprintf(buf, sizeof buf, "[%zu/%zu] %zu ok, %zu failed, %zu diverged | %zu running | %s elapsed", done,
                   total_, ok_, failed_, diverged_, running_, clock_text(elapsed).c_str());
  if (auto eta = eta_seconds(); eta && n > 0)
    snprintf(buf + n, sizeof buf - static_cast<size_t>(n), " | %.2f runs/min | ETA %s", done / elapsed * 60,
             clock_text(*eta).c_str());
  return buf;
}

void Progress::draw(bool force) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  std::fprintf(out_, "\r\033[K%s%s", status_line().c_str(), running_text().c_str());
  std::fflush(out_);
}

void Progress::started(const RunSpec& run) {
  ++running_;
  if (runs_) {
    ++started_;
    if (model_) queue_cost_ = std::max(0.0, queue_cost_ - model_->predict(run.params).value_or(0));
    running_runs_[run.index] = {&run, std::chrono::steady_clock::now(), -1, last_step_ ? last_step_(run) : -1};
  }
  draw(false);
}

void Progress::stepped(const RunSpec& run, int64_t step) {
  if (auto it = running_runs_.find(run.index); it != running_runs_.end()) it->second.step = step;
}

void Progress::finished(const RunRecord& run) {
  --running_;
  if (run.status == RunStatus::Ok) ++ok_;
  else if (run.status == RunStatus::Diverged) ++diverged_;
  else ++failed_;
  if (auto it = running_runs_.find(run.index); it != running_runs_.end()) {
    if (model_ && run.status == RunStatus::Ok)  // a failed run's time says little of what a run costs
      model_->observe(run.params, std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.since).count());
    running_runs_.erase(it);
    refresh_queue_cost();
  }
  bool bad = run.status != RunStatus::Ok;
  if (!tty_ || bad) {
    if (tty_) std::fprintf(out_, "\r\033[K");
    std::string eta;
    if (auto s = eta_seconds(); s && !tty_) eta = "  ETA " + clock_text(*s);
    // Epoch-based tasks log well under a step a second: two significant digits, not "0".
    std::fprintf(out_, "[%zu/%zu] %-8s %s  %s seed=%llu  %.2f s  %.*f steps/s%s%s%s\n", ok_ + failed_ + diverged_,
                 total_, to_string(run.status).c_str(), run.id.c_str(), run.point.c_str(),
                 static_cast<unsigned long long>(run.seed), run.wall_time_s, run.steps_per_s < 10 ? 2 : 0,
                 run.steps_per_s, eta.c_str(), bad ? "\n    " : "", bad ? run.error.c_str() : "");
  }
  draw(true);
}

void Progress::interrupted(const RunSpec& run) {
  --running_;
  running_runs_.erase(run.index);
}

void Progress::tick() { draw(false); }

void Progress::done() {
  if (tty_) std::fprintf(out_, "\r\033[K");
  std::fprintf(out_, "%s\n", status_line().c_str());
  std::fflush(out_);
}

}  // namespace genbench

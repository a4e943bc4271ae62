// The statistics every layer uses: one median, one mean, one spread. Detectors,
// comparisons, reports, history and benchmarks all take them from here, so a
// number printed by bench-run, stored by bench-history and drawn by
// bench-report is the same number.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace genbench {

// The median; the mean of the two middle values for an even count. v must not be empty.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The q-quantile (0 <= q <= 1), linear between order statistics (numpy's
// default); quantile(v, 0.5) == median(v). v must not be empty.
inline double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double at = q * static_cast<double>(v.size() - 1);
  auto lo = static_cast<size_t>(std::floor(at));
  auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// The mean of the finite values; NaN when there are none.
inline double mean_of(const std::vector<double>& v) {
  double s = 0;
  size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) s += x, ++n;
  return n ? s / static_cast<double>(n) : NAN;
}

// The mean of all values (a non-finite one makes it non-finite); NaN when empty.
inline double mean(const std::vector<double>& v) {
  if (v.empty()) return NAN;
  double s = 0;
  for (double x : v) s += x / static_cast<double>(v.size());
  return s;
}

// The sample standard deviation (n - 1); 0 for a single value, NaN when empty.
inline double stddev(const std::vector<double>& v) {
  if (v.empty()) return NAN;
  if (v.size() == 1) return 0;
  double m = mean(v), s = 0;
  for (double x : v) s += (x - m) * (x - m) / static_cast<double>(v.size() - 1);
  return std::sqrt(s);
}

// The standard error of the mean; 0 for a single value, NaN when empty.
inline double sem(const std::vector<double>& v) {
  return v.empty() ? NAN : stddev(v) / std::sqrt(static_cast<double>(v.size()));
}

}  // namespace genbench

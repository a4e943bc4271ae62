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

// The two-sided p-value of the Mann-Whitney U test that a and b come from
// the same distribution (scipy's mannwhitneyu, as Google Benchmark's
// compare.py uses it): exact when both have at most 20 values and there are
// no ties, else the normal approximation with tie and continuity
// corrections. U is a's count of (a_i > b_j) pairs, ties counting a half.
// NaN when either is empty. With 3 values against 3 the smallest p is 0.1.
inline double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b, double* u_out = nullptr) {
  const size_t m = a.size(), n = b.size();
  if (m == 0 || n == 0) return NAN;
  double u = 0;
  bool ties = false;
  for (double x : a)
    for (double y : b) {
      u += x > y ? 1.0 : x == y ? 0.5 : 0.0;
      ties = ties || x == y;
    }
  std::vector<double> all(a);
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  for (size_t i = 1; i < all.size(); ++i) ties = ties || all[i] == all[i - 1];
  if (u_out) *u_out = u;
  const double mn = static_cast<double>(m * n);
  if (!ties && m <= 20 && n <= 20) {
    // count[k]: arrangements of m a's and n b's with U = k, built up one value at a time
    std::vector<std::vector<std::vector<double>>> count(m + 1, std::vector<std::vector<double>>(n + 1));
    for (size_t i = 0; i <= m; ++i)
      for (size_t j = 0; j <= n; ++j) {
        count[i][j].assign(i * j + 1, 0.0);
        if (i == 0 || j == 0) {
          count[i][j][0] = 1;
          continue;
        }
        // the largest value is an a (it beats all j b's) or a b
        for (size_t k = 0; k <= (i - 1) * j; ++k) count[i][j][k + j] += count[i - 1][j][k];
        for (size_t k = 0; k <= i * (j - 1); ++k) count[i][j][k] += count[i][j - 1][k];
      }
    double total = 0, below = 0, above = 0;
    const auto& c = count[m][n];
    for (size_t k = 0; k < c.size(); ++k) {
      total += c[k];
      if (static_cast<double>(k) <= u) below += c[k];
      if (static_cast<double>(k) >= u) above += c[k];
    }
    return std::min(1.0, 2 * std::min(below, above) / total);
  }
  // normal approximation: the variance corrected for ties, half a unit of continuity
  double tie_term = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j] == all[i]) ++j;
    double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  const double N = static_cast<double>(m + n);
  const double var = mn / 12.0 * ((N + 1) - tie_term / (N * (N - 1)));
  if (var <= 0) return 1.0;
  const double z = (std::fabs(u - mn / 2) - 0.5) / std::sqrt(var);
  return std::min(1.0, std::erfc(std::max(z, 0.0) / std::sqrt(2.0)));
}

}  // namespace genbench

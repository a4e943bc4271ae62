// Small statistics shared by detectors, comparisons and reports.
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

// The mean of the finite values; NaN when there are none.
inline double mean_of(const std::vector<double>& v) {
  double s = 0;
  size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) s += x, ++n;
  return n ? s / static_cast<double>(n) : NAN;
}

}  // namespace genbench

// Comparing two Google Benchmark JSON files (run with repetitions): per
// benchmark the median time of each, their ratio, and whether the change is
// larger than the noise the repetitions measured. A single time is never
// trusted: a change counts only when it exceeds both a floor (`min_change`)
// and the spread of the repetitions on either side.
#pragma once

#include <string>
#include <vector>

namespace genbench {

struct BenchTimes {
  std::string name, unit;
  std::vector<double> times;  // real_time of each repetition
};

// The per-repetition times of every benchmark in a --benchmark_format=json
// (or --benchmark_out) file. Throws std::runtime_error naming the file.
std::vector<BenchTimes> read_benchmark_json(const std::string& path);

struct PerfChange {
  std::string name, unit;
  double old_median = 0, new_median = 0, ratio = 1;  // new / old
  double noise = 0;       // relative half-range of the repetitions, the larger side
  bool significant = false;
  size_t old_reps = 0, new_reps = 0;
};

std::vector<PerfChange> compare_benchmarks(const std::vector<BenchTimes>& old_runs, const std::vector<BenchTimes>& new_runs,
                                           double min_change);
std::string format_perf_changes(const std::vector<PerfChange>& changes);

}  // namespace genbench

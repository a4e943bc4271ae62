// bench-perf-compare: two Google Benchmark JSON files (with repetitions).
//
//   bench-perf-compare OLD.json NEW.json [--min-change 0.10]
//
// Exit codes: 0 nothing slower beyond the noise, 1 a benchmark is slower
// beyond it, 2 the files could not be compared.
#include <cstdlib>
#include <iostream>

#include "harness/perf.h"

using namespace genbench;

int main(int argc, char** argv) {
  std::vector<std::string> files;
  double min_change = 0.10;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--min-change" && i + 1 < argc) min_change = std::atof(argv[++i]);
    else if (a.rfind("--", 0) == 0) {
      std::cerr << "usage: bench-perf-compare OLD.json NEW.json [--min-change 0.10]\n";
      return 2;
    } else files.push_back(a);
  }
  if (files.size() != 2) {
    std::cerr << "usage: bench-perf-compare OLD.json NEW.json [--min-change 0.10]\n";
    return 2;
  }
  try {
    auto changes = compare_benchmarks(read_benchmark_json(files[0]), read_benchmark_json(files[1]), min_change);
    if (changes.empty()) {
      std::cout << "no benchmark is in both files\n";
      return 2;
    }
    std::cout << format_perf_changes(changes);
    bool slower = false;
    for (const auto& c : changes) slower = slower || (c.significant && c.ratio > 1);
    std::cout << (slower ? "result: SLOWER beyond the noise (exit 1)\n" : "result: no slowdown beyond the noise\n");
    return slower ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "bench-perf-compare: " << e.what() << "\n";
    return 2;
  }
}

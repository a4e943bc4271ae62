// bench-perf-compare: two Google Benchmark JSON files (with repetitions).
//
//   bench-perf-compare OLD.json NEW.json [--min-change 0.10]
//
// Exit codes: 0 nothing slower beyond the noise, 1 a benchmark is slower
// beyond it, 2 the files could not be compared (or a usage error).
#include <iostream>

#include "apps/cli.h"
#include "harness/perf.h"

using namespace genbench;

int main(int argc, char** argv) {
  CLI::App app{"Compares two Google Benchmark JSON files: each benchmark's median ratio, flagged only beyond the "
               "repetitions' spread.",
               "bench-perf-compare"};
  std::string old_file, new_file;
  double min_change = 0.10;
  app.add_option("old", old_file, "the reference benchmark JSON")->required()->type_name("OLD.json");
  app.add_option("new", new_file, "the benchmark JSON to judge")->required()->type_name("NEW.json");
  app.add_option("--min-change", min_change, "the smallest relative change that counts (default 0.10)")
      ->check(CLI::Range(0.0, 10.0));
  if (auto code = cli::parse(app, argc, argv)) return *code;
  try {
    auto changes = compare_benchmarks(read_benchmark_json(old_file), read_benchmark_json(new_file), min_change);
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

// bench-history: keeps a CSV history of results across commits.
//
//   bench-history append HISTORY.csv FILE.h5 [FILE.h5 ...]
//
// One row per (commit, suite, sweep point, quantity): the median over seeds of
// every summary, wall_time_s and steps_per_s. `bench-report --history
// HISTORY.csv` plots them over commits. Exit codes: 0 appended, 2 an error.
#include <iostream>

#include "harness/history.h"

using namespace genbench;

int main(int argc, char** argv) {
  if (argc < 4 || std::string(argv[1]) != "append") {
    std::cerr << "usage: bench-history append HISTORY.csv FILE.h5 [FILE.h5 ...]\n";
    return 2;
  }
  try {
    size_t rows = 0;
    for (int i = 3; i < argc; ++i) {
      auto r = history_rows(read_results(argv[i]));
      append_history(argv[2], r);
      rows += r.size();
    }
    std::cout << "bench-history: " << rows << " rows appended to " << argv[2] << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench-history: " << e.what() << "\n";
    return 2;
  }
}

// bench-compare: a candidate results file against a baseline.
//
//   bench-compare BASELINE.h5 CANDIDATE.h5 [--tolerances FILE] [--verbose]
//
// Tolerances come from FILE, else from the candidate's own suite text (its
// `tolerances:` key); quantities without one must match exactly.
// Exit codes: 0 same within tolerance, 1 regression, 2 the comparison could
// not be made (a file unreadable, another suite, runs missing, a failed run).
#include <cstring>
#include <iostream>

#include "results/store.h"
#include "suites/compare.h"

using namespace genbench;

int main(int argc, char** argv) {
  std::vector<std::string> files;
  std::string tolerance_file;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--tolerances" && i + 1 < argc) tolerance_file = argv[++i];
    else if (a == "--verbose" || a == "-v") verbose = true;
    else if (a == "--help" || a == "-h" || a.rfind("--", 0) == 0 || files.size() == 2) {
      std::cerr << (a == "--help" || a == "-h" ? "" : "bench-compare: unexpected argument " + a + "\n")
                << "usage: bench-compare BASELINE.h5 CANDIDATE.h5 [--tolerances FILE] [--verbose]\n";
      return a == "--help" || a == "-h" ? 0 : 2;
    } else files.push_back(a);
  }
  if (files.size() != 2) {
    std::cerr << "usage: bench-compare BASELINE.h5 CANDIDATE.h5 [--tolerances FILE] [--verbose]\n";
    return 2;
  }
  try {
    auto baseline = read_results(files[0]);
    auto candidate = read_results(files[1]);
    auto tolerances = tolerance_file.empty()
                          ? parse_tolerances(candidate.root_string("suite_text"), files[1] + " (suite_text)", false)
                          : load_tolerances(tolerance_file);
    std::cout << "bench-compare: " << baseline.root_string("suite") << " (tier " << baseline.root_string("tier")
              << ")\n  baseline  " << files[0] << " (" << baseline.root_string("git_commit").substr(0, 12) << ")\n"
              << "  candidate " << files[1] << " (" << candidate.root_string("git_commit").substr(0, 12) << ")\n";
    auto result = compare_results(baseline, candidate, tolerances);
    std::cout << format_comparison(result, verbose);
    return static_cast<int>(result.verdict);
  } catch (const std::exception& e) {  // ResultsError, ConfigError: cannot compare
    std::cout << "cannot compare: " << e.what() << "\nresult: INCOMPARABLE (exit 2)\n";
    return 2;
  }
}

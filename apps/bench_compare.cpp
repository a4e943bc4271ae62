// bench-compare: a candidate results file against a baseline.
//
//   bench-compare BASELINE.h5 CANDIDATE.h5 [--tolerances FILE] [--verbose]
//   bench-compare A.h5 B.h5 --by point      # two configurations: runs matched by point and seed
//
// Tolerances come from FILE, else from the candidate's own suite text (its
// `tolerances:` key); quantities without one must match exactly.
// Exit codes: 0 same within tolerance, 1 regression, 2 the comparison could
// not be made (a file unreadable, another suite, runs missing, a failed run,
// a usage error).
#include <iostream>

#include "apps/cli.h"
#include "compare/compare.h"
#include "core/text.h"
#include "results/store.h"

using namespace genbench;

int main(int argc, char** argv) {
  CLI::App app{"Compares a candidate results file against a baseline: same (0), regression (1), incomparable (2).",
               "bench-compare"};
  std::string baseline_path, candidate_path, tolerance_file;
  bool verbose = false;
  std::string by = "id";
  double alpha = 0.05;
  app.add_option("baseline", baseline_path, "the baseline results file")->required()->type_name("BASELINE.h5");
  app.add_option("candidate", candidate_path, "the candidate results file")->required()->type_name("CANDIDATE.h5");
  app.add_option("--tolerances", tolerance_file, "tolerances from this file instead of the candidate's suite text")
      ->type_name("FILE");
  app.add_flag("-v,--verbose", verbose, "list every quantity compared, not only what moved");
  app.add_option("--by", by,
                 "id: the same runs (a regression check); point: two configurations, runs matched by point and seed, "
                 "each summary's median difference with a Mann-Whitney U test (every quantity listed)")
      ->check(CLI::IsMember({"id", "point"}))->type_name("id|point");
  app.add_option("--alpha", alpha, "with --by point: a difference counts when p < alpha and beyond tolerance (default 0.05)")
      ->check(CLI::Range(0.0, 1.0))->type_name("P");
  if (auto code = cli::parse(app, argc, argv)) return *code;
  try {
    auto baseline = read_results(baseline_path);
    auto candidate = read_results(candidate_path);
    auto tolerances = tolerance_file.empty()
                          ? parse_tolerances(candidate.root_string("suite_text"), candidate_path + " (suite_text)", false)
                          : load_tolerances(tolerance_file);
    std::cout << "bench-compare: " << baseline.root_string("suite") << " (tier " << baseline.root_string("tier")
              << ")\n  baseline  " << baseline_path << " (" << baseline.root_string("git_commit").substr(0, 12) << ")\n"
              << "  candidate " << candidate_path << " (" << candidate.root_string("git_commit").substr(0, 12) << ")\n";
    if (by == "point") {
      auto result = compare_by_point(baseline, candidate, tolerances, alpha);
      auto sets = [](const ResultsFile& f) {  // what the two configurations set on the command line
        auto lines = split_lines(f.root_string("sets"));
        return lines.empty() ? std::string("the suite file's values") : "--set " + join(lines, " --set ");
      };
      std::cout << "  A: " << sets(baseline) << "\n  B: " << sets(candidate) << "\n"
                << format_comparison(result, true, "A median", "B median");
      return static_cast<int>(result.verdict);
    }
    auto result = compare_results(baseline, candidate, tolerances);
    std::cout << format_comparison(result, verbose);
    return static_cast<int>(result.verdict);
  } catch (const std::exception& e) {  // ResultsError, ConfigError: cannot compare
    std::cout << "cannot compare: " << e.what() << "\nresult: INCOMPARABLE (exit 2)\n";
    return 2;
  }
}

// bench-merge: joins result files of one sweep (its shards, or the pieces of
// a sweep resumed more than once) into one file, as a single process running
// the whole plan would have written it.
//
//   bench-merge OUT.h5 IN.h5... [--force]
//
// Exit codes: 0 every planned run is in OUT, 1 OUT was written but runs are
// missing (listed), 2 nothing was written (a file unreadable, another suite,
// plan or schema, a run whose copies differ, OUT exists, a usage error).
#include <filesystem>
#include <iostream>

#include "apps/cli.h"
#include "harness/verdicts.h"
#include "results/merge.h"

using namespace genbench;

int main(int argc, char** argv) {
  CLI::App app{"Joins result files of one suite and plan (shards, pieces of a resumed sweep) into one.", "bench-merge"};
  std::string out;
  std::vector<std::string> inputs;
  bool force = false;
  app.add_option("out", out, "the merged results file")->required()->type_name("OUT.h5");
  app.add_option("inputs", inputs, "the files to join, in this order")->required()->type_name("IN.h5...");
  app.add_flag("--force", force, "replace OUT if it exists");
  if (auto code = cli::parse(app, argc, argv)) return *code;
  namespace fs = std::filesystem;
  if (!force && (fs::exists(out) || fs::exists(loose_runs_dir(out)))) {
    std::cerr << "bench-merge: " << out << " exists; replace it with --force\n";
    return 2;
  }
  try {
    auto first = read_results(inputs.front(), {/*trajectories=*/false});
    auto report = merge_results(out, inputs, suite_analysis_for(first));
    std::cout << "bench-merge: " << out << ": " << report.runs << " runs from " << inputs.size() << " files ("
              << report.duplicates << " identical duplicates taken once), " << report.missing.size() << " missing\n";
    const size_t shown = std::min<size_t>(report.missing.size(), 20);
    for (size_t i = 0; i < shown; ++i)
      std::cout << "  missing: " << report.missing[i].id << "  " << report.missing[i].point << "  seed "
                << report.missing[i].seed << "\n";
    if (report.missing.size() > shown) std::cout << "  ... and " << report.missing.size() - shown << " more\n";
    return report.missing.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench-merge: " << e.what() << "\n";
    return 2;
  }
}

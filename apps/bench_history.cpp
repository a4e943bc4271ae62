// bench-history: keeps a CSV history of results across commits.
//
//   bench-history append HISTORY.csv FILE.h5 [FILE.h5 ...]
//
// One row per (commit, suite, sweep point, quantity): the median over seeds of
// every summary, wall_time_s and steps_per_s. `bench-report --history
// HISTORY.csv` plots them over commits. Exit codes: 0 appended, 2 an error.
#include <iostream>

#include "apps/cli.h"
#include "harness/history.h"

using namespace genbench;

int main(int argc, char** argv) {
  CLI::App app{"Keeps a CSV history of results across commits (bench-report --history plots it).", "bench-history"};
  app.require_subcommand(1);
  auto* append = app.add_subcommand("append", "append the medians over seeds of results files to a history");
  std::string history;
  std::vector<std::string> files;
  append->add_option("history", history, "the history CSV (created when missing)")->required()->type_name("HISTORY.csv");
  append->add_option("files", files, "results files")->required()->type_name("FILE.h5 ...");
  if (auto code = cli::parse(app, argc, argv)) return *code;
  try {
    size_t rows = 0;
    for (const auto& file : files) {
      auto r = history_rows(read_results(file));
      append_history(history, r);
      rows += r.size();
    }
    std::cout << "bench-history: " << rows << " rows appended to " << history << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench-history: " << e.what() << "\n";
    return 2;
  }
}

// Helpers shared by the tests: temporary directories, files, and running
// the real bench-run binary.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "results/store.h"

namespace genbench::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);
bool exists(const std::string& path);

struct Outcome {
  int exit_code = -1;  // 128 + signal when killed
  std::string out, err;
};

struct RunOptions {
  long max_file_bytes = -1;  // RLIMIT_FSIZE for the process: a "full disk"
};

// Runs bench-run (or bench-compare) with args and waits for it.
Outcome bench_run(const std::vector<std::string>& args, const RunOptions& options = {});
Outcome bench_compare(const std::vector<std::string>& args);
Outcome bench_merge(const std::vector<std::string>& args);
// Starts bench-run in the background (output to files in `dir`); returns its pid.
pid_t bench_run_async(const std::vector<std::string>& args, const std::string& dir);
// Waits for a background bench-run; returns its exit code (128 + signal).
int wait_exit(pid_t pid);

std::string source_path(const std::string& relative);  // a file of the source tree
// Runs a tier of a suite in configs/ through bench-run and reads the file
// back; throws with bench-run's stderr when it does not exit 0. A ci tier's
// file is also kept as <build>/regress/<suite>-ci.h5 for `make regress REUSE=1`.
ResultsFile run_tier(const std::string& suite_file, const std::string& tier);
// Every claim of the file's tier (its suite's expect:, as bench-run judged
// them when the sweep ended) holds; the verdict table is the failure message.
void require_every_claim(const ResultsFile& file);
// Every claim of `tier` in configs/SUITE_FILE, as the suite file states it
// now, holds on a file measured earlier (a kept reference file).
void require_every_claim_now(const std::string& suite_file, const std::string& tier, const ResultsFile& file);
// Two files hold the same runs in plan order, bit for bit: plan, ids, index,
// status, config, steps, every metric, summaries (not wall time or device).
void require_same_runs(const ResultsFile& a, const ResultsFile& b);
// `text` with "TASKS" replaced by the registered task names, as messages list them.
std::string with_task_list(std::string text);

}  // namespace genbench::test

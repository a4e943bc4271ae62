// The statuses of a run and of a results file, spelled once: these names are
// what files store (SCHEMA.md), the worker protocol carries and consoles print.
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace genbench {

enum class RunStatus {
  Ok,           // finished; every logged metric finite
  Failed,       // the task threw, or its worker crashed or wrote garbage
  Diverged,     // a metric became nan or inf: the run stopped there
  Interrupted,  // stopped by Ctrl-C / SIGTERM before it finished: a worker's outcome, never a stored run
  Running,      // in progress: the runs under /partial, checkpointed
};

const std::string& to_string(RunStatus status);
// nullopt for a name that is none of the above.
std::optional<RunStatus> parse_run_status(const std::string& name);
inline std::ostream& operator<<(std::ostream& out, RunStatus status) { return out << to_string(status); }

// The root `status` attribute of a results file.
enum class FileStatus {
  Running,      // being written, or its writer was killed
  Complete,     // every planned run finished
  Interrupted,  // stopped by Ctrl-C / SIGTERM: --resume finishes it
};
const std::string& to_string(FileStatus status);

}  // namespace genbench

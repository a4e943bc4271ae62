#include "results/status.h"

#include <array>
#include <utility>

namespace genbench {

namespace {

const std::array<std::pair<RunStatus, std::string>, 5> kRunStatuses = {{
    {RunStatus::Ok, "ok"},
    {RunStatus::Failed, "failed"},
    {RunStatus::Diverged, "diverged"},
    {RunStatus::Interrupted, "interrupted"},
    {RunStatus::Running, "running"},
}};

}  // namespace

const std::string& to_string(RunStatus status) {
  for (const auto& [value, name] : kRunStatuses)
    if (value == status) return name;
  static const std::string unknown = "unknown";
  return unknown;
}

std::optional<RunStatus> parse_run_status(const std::string& name) {
  for (const auto& [value, spelled] : kRunStatuses)
    if (spelled == name) return value;
  return std::nullopt;
}

const std::string& to_string(FileStatus status) {
  static const std::string running = "running", complete = "complete", interrupted = "interrupted";
  switch (status) {
    case FileStatus::Running: return running;
    case FileStatus::Complete: return complete;
    case FileStatus::Interrupted: return interrupted;
  }
  return running;
}

}  // namespace genbench

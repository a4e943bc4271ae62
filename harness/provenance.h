// Where and how a result was made: the root attributes of every results file.
#pragma once

#include <string>

#include "results/store.h"

namespace genbench {

std::string utc_now();        // "2026-11-29T14:05:32Z"
std::string utc_stamp();      // "20261129T140532Z", for file names
std::string host_name();
std::string cpu_model();      // from /proc/cpuinfo
// The commit of the source tree bench-run was built from, and whether it had
// uncommitted changes; "unknown" when git or the tree is not there.
std::string git_commit();
bool git_dirty();

// Everything above plus the library versions, under the names SCHEMA.md lists.
AttrMap collect_provenance();

}  // namespace genbench

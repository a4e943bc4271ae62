// Sweep expansion: a suite file, a tier, --set and --filter into the list of
// fully resolved runs, in a fixed order.
//
// Runs = points x grid x zip x seeds, each resolved over
// task defaults < suite defaults < tier < point < grid < zip < --set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/params.h"
#include "core/run_id.h"
#include "harness/suite_file.h"

namespace genbench {

// One run of a sweep, fully resolved.
struct RunSpec {
  int64_t index = 0;  // position in the expanded sweep
  std::string id;     // run_id(canonical_config(task, params, log_every, seed))
  std::string task;
  Params params;
  uint64_t seed = 0;
  std::string point;  // what varies: "name" for a named point, plus grid and zip values ("k=2 lr=0.1")
  int64_t log_every = 10;
};

// A plan bigger than this is refused before it is built (bench-run --max-runs
// raises it): a typo in a grid can make 10^10 runs, and building them would
// take minutes and gigabytes before anything said so.
constexpr uint64_t kDefaultMaxRuns = 1000000;

struct ExpandOptions {
  std::string tier;                  // empty: the suite's default_tier (or none)
  std::vector<std::string> sets;     // "key=value": wins over every value in the file
  std::vector<std::string> filters;  // "key=value", "key<value"...; all must hold
  uint64_t max_runs = kDefaultMaxRuns;
  std::string seeds = {};            // --seeds: "5" (0..4), "0-9", "1,3,7", "0-4,9"; empty: the tier's
  std::vector<std::string> sweeps = {};  // --sweep "key=v1,v2": a grid axis, cartesian with the file's
                                     // (replacing the file's axis of that key)
};

// --seeds text as a list of seeds; throws ConfigError "--seeds: ...".
std::vector<uint64_t> parse_seeds(const std::string& text);

// Points x grid x zip x seeds of a tier (empty: the default), before any
// --filter, without building them; saturates at UINT64_MAX. Throws
// ConfigError for an unknown tier.
uint64_t plan_size(const SuiteSpec& suite, const std::string& tier);

// Expands the sweep. Throws ConfigError (bad tier, --set, filter, empty
// result, a plan over options.max_runs).
std::vector<RunSpec> expand(const SuiteSpec& suite, const ExpandOptions& options);

}  // namespace genbench

// Suite files (configs/*.yaml): parsing, validation and sweep expansion.
//
//   suite: matrix_sensing            # name of the phenomenon
//   detector: matrix_sensing         # the detector in suites/ (default: the suite's name)
//   task: matrix_sensing             # a registered task
//   description: ...                 # free text, kept in the HDF5 file
//   defaults: {d: 30, lr: 0.05}      # override the task's own defaults
//   sweep:
//     points: [{name: exact, k: 2}, {name: overparam, k: 30}]   # explicit points
//     grid: {init_scale: [1.0e-3, 1.0]}                          # cartesian product
//     zip: {m: [100, 300], steps: [500, 900]}                    # paired lists
//     seeds: [0, 1, 2]
//   tiers:                           # a tier overrides defaults; its sweep replaces the suite's
//     smoke: {steps: 200, seeds: [0]}
//   default_tier: ci                 # used when --tier is not given
//   log_every: 10
//   threads: 1                       # LibTorch/OpenBLAS threads per run
//   tolerances: {...}                # for bench-compare; see Tolerances below
//
// Runs = points x grid x zip x seeds, each resolved over
// task defaults < suite defaults < tier < point < grid < zip < --set.
// Every error is a ConfigError "file:line:col: key: message".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tasks/params.h"

namespace genbench {

class Task;

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using ValueMap = std::map<std::string, ParamValue>;

struct SweepPoint {
  std::string name;  // optional label; empty when not given
  ValueMap values;
};

struct Sweep {
  std::vector<SweepPoint> points;
  std::vector<std::pair<std::string, std::vector<ParamValue>>> grid;  // in file order
  std::vector<std::pair<std::string, std::vector<ParamValue>>> zip;
  std::vector<uint64_t> seeds{0};
};

struct Tier {
  ValueMap overrides;
  std::optional<Sweep> sweep;  // replaces the suite's sweep (seeds below, if given, win)
  std::optional<std::vector<uint64_t>> seeds;
  std::optional<int64_t> log_every;
  std::string description;
};

// How far a candidate may move from a baseline before bench-compare calls it
// a regression: |a - b| <= abs + rel * |a|, on log10 values when `log` (values
// below `floor` count as `floor`, so machine-precision noise does not count).
struct Tolerance {
  double abs = 0, rel = 0, floor = 0;
  bool log = false;
};

//   tolerances:
//     summaries:                 # by summary key, "last.<metric>" for final values;
//                                # "*_slope": keys ending in _slope (the longest pattern wins); "*": the rest
//       "*": {abs: 1.0e-9, rel: 1.0e-6}
//       final_rel_error: {log: true, abs: 0.3, floor: 1.0e-12}
//     curves:                    # whole trajectories, largest difference over the common steps
//       rel_error: {log: true, abs: 0.3, floor: 1.0e-12}
struct Tolerances {
  std::map<std::string, Tolerance> summaries;
  std::map<std::string, Tolerance> curves;  // metrics not listed are not compared as curves
  const Tolerance& for_summary(const std::string& key) const;
};

struct SuiteSpec {
  std::string file;  // as given; used in messages
  std::string text;  // the file's text, stored in results
  std::string suite, task, description, default_tier, detector;
  ValueMap defaults;
  Sweep sweep;
  std::map<std::string, Tier> tiers;
  int64_t log_every = 10;
  int64_t threads = 1;
  Tolerances tolerances;
};

// Parses and validates against the task registry. Throws ConfigError.
SuiteSpec parse_suite(const std::string& text, const std::string& file);
SuiteSpec load_suite(const std::string& path);
// A tolerance file: a `tolerances:` map as in a suite file. Throws ConfigError.
Tolerances load_tolerances(const std::string& path);
// The `tolerances:` of a YAML text (a suite file's, or a tolerance file's),
// without validating the rest; empty when absent unless `required`.
Tolerances parse_tolerances(const std::string& text, const std::string& file, bool required);

// One run of a sweep, fully resolved.
struct RunSpec {
  int64_t index = 0;  // position in the expanded sweep
  std::string id;     // stable hash of task, params, log_every and seed
  std::string task;
  Params params;
  uint64_t seed = 0;
  std::string point;  // what varies: "name" for a named point, plus grid and zip values ("k=2 lr=0.1")
  int64_t log_every = 10;
};

struct ExpandOptions {
  std::string tier;                  // empty: the suite's default_tier (or none)
  std::vector<std::string> sets;     // "key=value": wins over every value in the file
  std::vector<std::string> filters;  // "key=value", "key<value"...; all must hold
};

// Expands the sweep. Throws ConfigError (bad tier, --set, filter, empty result).
std::vector<RunSpec> expand(const SuiteSpec& suite, const ExpandOptions& options);

// The run id: 16 hex digits of FNV-1a (with murmur3's finaliser) over the
// canonical text below.
std::string canonical_config(const std::string& task, const Params& params, int64_t log_every,
                             uint64_t seed);
std::string run_id(const std::string& canonical);

// Parses one YAML scalar/flow value ("0.1", "[1, 0.5]", "gd") as a value for
// spec; throws ConfigError with `where` as prefix.
ParamValue parse_value_text(const std::string& text, const ParamSpec& spec, const std::string& where);

// The closest name by edit distance, or "" when nothing is close.
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace genbench

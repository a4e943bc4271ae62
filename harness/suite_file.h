// Suite files (configs/*.yaml): parsing and validation against the task's
// declared parameters. Expansion into runs is harness/sweep.h.
//
//   suite: matrix_sensing            # name of the phenomenon
//   detector: matrix_sensing         # the detector in suites/ (default: the suite's name)
//   task: matrix_sensing             # a registered task
//   description: ...                 # free text, kept in the HDF5 file
//   defaults: {d: 30, lr: 0.05}      # override the task's own defaults
//   sweep:
//     points: [{name: exact, k: 2}, {name: overparam, k: 30}]   # explicit points
//                                    # (a point's `family:` groups it with others in one report panel)
//     grid: {init_scale: [1.0e-3, 1.0]}                          # cartesian product
//     zip: {m: [100, 300], steps: [500, 900]}                    # paired lists
//     seeds: [0, 1, 2]
//   tiers:                           # a tier overrides defaults; its sweep replaces the suite's
//     smoke: {steps: 200, seeds: [0]}
//   default_tier: ci                 # used when --tier is not given
//   log_every: 10
//   threads: 1                       # LibTorch/OpenBLAS threads per run
//   stack: auto                      # auto | off | N: compatible runs train as one batched model
//                                    # (Task::stacks; bench-run --stack overrides it)
//   tolerances: {...}                # for bench-compare; see compare/tolerances.h
//   expect: [...]                    # the phenomenon's claims, judged when a sweep ends; see suites/claims.h
//                                    # (a tier's own `expect:` replaces them; `expect: []` drops them)
//
// Every error is a ConfigError "file:line:col: key: message".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compare/tolerances.h"
#include "core/errors.h"
#include "core/params.h"
#include "suites/claims.h"

namespace genbench {

using ValueMap = std::map<std::string, ParamValue>;

struct SweepPoint {
  std::string name;    // optional label; empty when not given
  std::string family;  // optional: points of one family share a panel in bench-report
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
  std::optional<std::vector<Claim>> claims;  // replaces the suite's `expect:` ([] drops them)
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
  int64_t stack = -1;  // -1 auto (the task decides), 0 off, N at most N runs a stack
  Tolerances tolerances;
  std::vector<Claim> claims;  // `expect:`, for every tier that has none of its own
};

// The claims a tier is judged by: its own `expect:`, else the suite's.
const std::vector<Claim>& claims_for(const SuiteSpec& suite, const std::string& tier);

// Parses and validates against the task registry (every tier is expanded
// once, so cross-parameter errors surface before anything runs). Throws ConfigError.
// `stack:` and bench-run --stack: "auto" -> -1, "off" -> 0, "N" (N >= 1) -> N; nullopt otherwise.
std::optional<int64_t> parse_stack(const std::string& text);

SuiteSpec parse_suite(const std::string& text, const std::string& file);
SuiteSpec load_suite(const std::string& path);

}  // namespace genbench

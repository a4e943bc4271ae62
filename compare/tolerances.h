// How far a candidate may move from a baseline before bench-compare calls it
// a regression. Written in a suite file's `tolerances:` key or a tolerance
// file of its own:
//
//   tolerances:
//     summaries:                 # by summary key, "last.<metric>" for final values;
//                                # "*_slope": keys ending in _slope (the longest pattern wins); "*": the rest
//       "*": {abs: 1.0e-9, rel: 1.0e-6}
//       final_rel_error: {log: true, abs: 0.3, floor: 1.0e-12}
//     curves:                    # whole trajectories, largest difference over the common steps
//       rel_error: {log: true, abs: 0.3, floor: 1.0e-12}
#pragma once

#include <map>
#include <string>

#include "core/yaml_reader.h"

namespace genbench {

// |a - b| <= abs + rel * |a|, on log10 values when `log` (values below
// `floor` count as `floor`, so machine-precision noise does not count).
struct Tolerance {
  double abs = 0, rel = 0, floor = 0;
  bool log = false;
};

struct Tolerances {
  std::map<std::string, Tolerance> summaries;
  std::map<std::string, Tolerance> curves;  // metrics not listed are not compared as curves
  const Tolerance& for_summary(const std::string& key) const;
};

// The value of a `tolerances:` key (node), read with the reader's file name. Throws ConfigError.
Tolerances read_tolerances(const YAML::Node& node, const YamlReader& reader, const std::string& path = "tolerances");
// The `tolerances:` of a YAML text (a suite file's, or a tolerance file's),
// without validating the rest; empty when absent unless `required`.
Tolerances parse_tolerances(const std::string& text, const std::string& file, bool required);
// A tolerance file: a `tolerances:` map as in a suite file. Throws ConfigError.
Tolerances load_tolerances(const std::string& path);

}  // namespace genbench

// Claims: what a suite says its phenomenon shows, as data (`expect:` in the
// suite file), judged on the file a sweep wrote. The YAML description, the
// README and the tests quote these; nothing else holds the numbers.
//
//   expect:
//     - name: linear peak at the interpolation threshold
//       summary: linear_peak_gamma        # a suite summary (/summary)
//       equals: 1
//       source: Hastie et al. 2022, finite-n closed form
//     - name: exact-rank recovery is linear
//       point: exact_k2                   # per run of a point (its name, or its label "p=200"), over seeds
//       summary: decades_per_1k_steps     # a run summary, or
//       # metric: rel_error, at_step: 1100  (a metric's value at a logged step,
//       #   or reduce: first|last|min|max|mean over its logged values)
//       # where: {p: ">100"}              (only the runs whose config satisfies it)
//       at_least: 7
//       seeds: all                        # all (default) | median | mean | any | "at least 9 of 10"
//     - name: GD slows down with the condition number
//       point: gd_kappa100
//       summary: steps_to_rel_error_1e-2
//       at_least: {point: gd_kappa1, times: 10}   # the same seed's run of another point (or summary)
//
// Bounds (exactly one): at_least, at_most, greater_than, less_than (a number,
// or {point, summary, times, plus} for another value: per run, the run of
// that point with the same seed; for a suite claim, another suite summary),
// between: [lo, hi], equals: x (with tolerance: t, default 0).
// A suite claim's summary may be a pattern ("laplace_sphere_n*_noise_slope")
// or a list of names and patterns: every suite summary they name must hold.
// A claim is per run when it names a point, a metric or `seeds`, else it is
// about a suite summary. A run without the value (a threshold never reached,
// a failed run) fails the claim for its seed.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/yaml_reader.h"
#include "results/store.h"

namespace genbench {

struct ClaimRef {  // the value a bound compares against, when it is not a number
  std::string point;    // empty: the claim's own point (or a suite summary)
  std::string summary;  // empty: the claim's own summary
  double times = 1;
  double plus = 0;  // compared with times x value + plus
};

struct ParamCondition {  // `where: {p: ">100", optimizer: gd}`
  std::string key, op;  // op: "=", "!=", "<", "<=", ">", ">="
  std::string text;     // the value as written
  double number = 0;    // and as a number, for the ordered ops
  bool holds(const Params& params) const;
};

struct Claim {
  enum class Bound { AtLeast, AtMost, GreaterThan, LessThan, Between, Equals };
  enum class Over { All, Median, Mean, Any, Fraction };

  std::string name, source;
  std::string location;  // "file:line:col" of the claim, for messages
  bool per_run = false;
  std::string point;  // per run: the runs of this point; empty: every run
  std::string summary;                 // per run, or a suite summary, or
  std::vector<std::string> summaries;  // several suite summaries (names or patterns), every one to hold
  std::string metric;  // instead of a summary: this metric at step `at_step`, or reduced
  int64_t at_step = -1;
  std::string reduce;  // first, last, min, max or mean over its logged values (when no at_step)
  std::vector<ParamCondition> where;  // per run: only the runs whose config satisfies each
  Bound bound = Bound::AtLeast;
  double lo = 0, hi = 0;  // the number(s); equals: the value and its tolerance
  std::optional<ClaimRef> ref;
  Over over = Over::All;
  int64_t at_least = 0, of = 0;  // Over::Fraction: "at least 9 of 10"
  YAML::Mark mark;               // of the claim, and of its point key (checked against a plan)
  YAML::Mark point_mark, ref_point_mark;
  YAML::Mark summary_mark, ref_summary_mark;  // of its summary keys (checked against the declared summaries)

  std::string subject_text() const;  // what is measured: "exact_k2: steps_to_rel_error_1e-8", "max of train_mse where p>100"
  std::string bound_text() const;  // ">= 7", "in [0.1, 0.2]", ">= 10 x gd_kappa1 (same seed)"
  std::string over_text() const;   // "every seed", "median seed", "at least 9 of 10 seeds"
};

// Parses an `expect:` list; throws ConfigError "file:line:col: expect[i].key: ...".
std::vector<Claim> parse_claims(const YAML::Node& node, const YamlReader& reader, const std::string& path);

// Whether a run of `point_label` ("exact_k2 lr=0.1") belongs to the claim's point ("exact_k2").
bool point_matches(const std::string& point_label, const std::string& claim_point);

// Judges each claim on a file (its runs' and the suite's summaries): a
// verdict per claim, in order. A claim whose point the file's plan lacks (a
// --filter dropped it), or a suite summary absent from a sweep run with
// --filter, is "skip"; one that cannot be judged is "error".
std::vector<Verdict> judge_claims(const std::vector<Claim>& claims, const ResultsFile& file);

// The console table: "claims: 6 of 7 hold" and a row per claim (mark, name, measured, bound).
std::string verdict_table(const std::vector<Verdict>& verdicts);
// 0 every claim holds or was skipped, 1 one failed, 2 one could not be judged.
int verdict_exit_code(const std::vector<Verdict>& verdicts);

}  // namespace genbench

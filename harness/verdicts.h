// The claims of a suite (`expect:`) judged on a results file: when a sweep
// ends, when shards are merged, and on demand (bench-run --judge FILE).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "harness/suite_file.h"
#include "results/merge.h"
#include "results/store.h"

namespace genbench {

// The verdicts of the claims of `tier` of `suite` on `file` (which must hold
// the suite summaries already: the claims read them).
std::vector<Verdict> judge_tier(const SuiteSpec& suite, const std::string& tier, const ResultsFile& file);

// The claims of `tier` in the suite file a results file stores
// (suite_text): its tier's `expect:`, else the suite's. Read without the
// task registry (bench-merge has none); throws ConfigError.
std::vector<Claim> stored_claims(const ResultsFile& file, const std::string& tier);

// What a joined file gets once its runs are in: the detector's suite
// summaries, then the verdicts of the stored suite's claims for its tier.
std::function<SuiteAnalysis(const ResultsFile&)> suite_analysis_for(const ResultsFile& file);

}  // namespace genbench

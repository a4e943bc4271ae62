#include "harness/verdicts.h"

#include <cstdio>

#include "suites/detector.h"

namespace genbench {

std::vector<Verdict> judge_tier(const SuiteSpec& suite, const std::string& tier, const ResultsFile& file) {
  return judge_claims(claims_for(suite, tier), file);
}

std::vector<Claim> stored_claims(const ResultsFile& file, const std::string& tier) {
  YamlReader reader;
  auto name = file.root_string("suite_file");
  reader.file = (name.empty() ? file.path : name) + " (as stored in " + file.path + ")";
  auto root = reader.load(file.root_string("suite_text"));
  if (!root.IsMap()) return {};
  if (auto tiers = root["tiers"]; tiers && tiers.IsMap() && !tier.empty())
    if (auto own = tiers[tier]; own && own.IsMap() && own["expect"]) {
      auto node = own["expect"];
      return node.IsSequence() && node.size() == 0 ? std::vector<Claim>{} : parse_claims(node, reader, "tiers." + tier + ".expect");
    }
  return root["expect"] ? parse_claims(root["expect"], reader, "expect") : std::vector<Claim>{};
}

std::function<SuiteAnalysis(const ResultsFile&)> suite_analysis_for(const ResultsFile& file) {
  auto summaries = suite_summaries_for(file);
  return [summaries](const ResultsFile& joined) {
    SuiteAnalysis out;
    if (summaries) out.summaries = summaries(joined);
    // claims are judged on the whole sweep only: a partial merge is judged when --resume completes it
    if (joined.root_string("suite_text").empty() || !joined.missing().empty()) return out;
    ResultsFile with = joined;
    for (const auto& [k, v] : out.summaries) with.summaries[k] = v;
    try {
      out.verdicts = judge_claims(stored_claims(with, with.root_string("tier")), with);
    } catch (const ConfigError& e) {  // the runs are merged whatever their claims say: keep them, say why none
      std::fprintf(stderr, "bench-merge: the claims could not be read, so none are judged: %s\n", e.what());
    }
    return out;
  };
}

}  // namespace genbench

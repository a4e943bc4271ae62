#include "results/merge.h"

#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/text.h"

namespace genbench {

namespace {

// FNV-1a over what makes two copies of a run the same result.
struct Fingerprint {
  uint64_t h = 1469598103934665603ull;
  void add(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  void add(const std::string& s) {
    add(s.data(), s.size());
    add("\0", 1);
  }
  template <typename T>
  void add_value(T v) {
    add(&v, sizeof v);
  }
};

// Per part, so that a conflict says what differs.
struct RunPrint {
  uint64_t outcome, trajectory, summaries, config;
  std::string file;  // where it was first seen
};

RunPrint fingerprint(const RunRecord& r, const std::string& file) {
  Fingerprint outcome, trajectory, summaries, config;
  outcome.add(to_string(r.status));
  outcome.add(r.error);
  outcome.add_value(r.last_good_step);
  for (auto step : r.steps) trajectory.add_value(step);
  for (const auto& [name, values] : r.metrics) {
    trajectory.add(name);
    trajectory.add(values.data(), values.size() * sizeof(double));  // bit for bit: NaN payloads too
  }
  for (const auto& [key, value] : r.summaries) {
    summaries.add(key);
    summaries.add_value(value);
  }
  config.add(r.task);
  config.add(r.point);
  config.add_value(r.seed);
  config.add_value(r.index);
  config.add_value(r.log_every);
  config.add(config_text(r.params));
  return {outcome.h, trajectory.h, summaries.h, config.h, file};
}

std::string what_differs(const RunPrint& a, const RunPrint& b) {
  std::vector<std::string> parts;
  if (a.outcome != b.outcome) parts.push_back("status");
  if (a.trajectory != b.trajectory) parts.push_back("trajectory");
  if (a.summaries != b.summaries) parts.push_back("summaries");
  if (a.config != b.config) parts.push_back("config");
  return join(parts, ", ");
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The first input's provenance, less what described its own invocation's progress.
AttrMap merged_root(const ResultsFile& first, const std::vector<std::string>& inputs, bool complete) {
  AttrMap root = first.root;
  for (const char* key : {"schema_version", "segment_token", "shard", "resume_count", "resume_command_lines"})
    root.erase(key);
  root["merged_from"] = join(inputs, "\n");
  root["status"] = to_string(complete ? FileStatus::Complete : FileStatus::Interrupted);
  root["end_time"] = utc_now();
  return root;
}

}  // namespace

MergeReport merge_results(const std::string& out, const std::vector<std::string>& inputs,
                          const std::function<SuiteAnalysis(const ResultsFile&)>& analyse) {
  namespace fs = std::filesystem;
  if (inputs.empty()) throw ResultsError("bench-merge: no input files");
  std::error_code ec;
  for (const auto& in : inputs)
    if (fs::equivalent(in, out, ec))
      throw ResultsError(out + ": is also an input; write the merge to another file");

  // Pass 1, without trajectories: one suite, one plan.
  const auto first = read_results(inputs[0], {/*trajectories=*/false});
  const auto suite = first.root_string("suite");
  for (size_t k = 1; k < inputs.size(); ++k) {
    const auto other = read_results(inputs[k], {false});
    if (other.root_string("suite") != suite)
      throw ResultsError(inputs[k] + ": suite is '" + other.root_string("suite") + "', expected '" + suite + "' (as in " +
                         inputs[0] + ")");
    if (other.plan.size() != first.plan.size())
      throw ResultsError(inputs[k] + ": its plan has " + std::to_string(other.plan.size()) + " runs, " + inputs[0] +
                         "'s " + std::to_string(first.plan.size()) + " (another tier, --set or --filter?)");
    for (size_t i = 0; i < first.plan.size(); ++i)
      if (other.plan[i].id != first.plan[i].id)
        throw ResultsError(inputs[k] + ": its plan differs from " + inputs[0] + "'s at index " + std::to_string(i) +
                           ": run " + other.plan[i].id + " (" + other.plan[i].point + "), expected " + first.plan[i].id +
                           " (" + first.plan[i].point + ")");
  }

  // Pass 2, one input at a time: every copy of a run is the same run.
  std::map<std::string, RunPrint> seen;
  MergeReport report;
  for (const auto& in : inputs) {
    const auto file = read_results(in);
    for (const auto& run : file.runs) {
      auto print = fingerprint(run, in);
      auto [it, fresh] = seen.emplace(run.id, print);
      if (fresh) continue;
      auto differs = what_differs(it->second, print);
      if (!differs.empty())
        throw ResultsError(in + ": run " + run.id + " (" + run.point + ", seed " + std::to_string(run.seed) +
                           ") differs from its copy in " + it->second.file + ": " + differs);
      ++report.duplicates;
    }
  }
  for (const auto& planned : first.plan)
    if (!seen.count(planned.id)) report.missing.push_back(planned);

  // Pass 3: write each run once, from the first input that has it.
  ResultsWriter writer(out, merged_root(first, inputs, report.missing.empty()), first.plan);
  std::set<std::string> written;
  for (const auto& in : inputs) {
    const auto file = read_results(in);
    for (const auto& run : file.runs)
      if (written.insert(run.id).second) {
        writer.add_run(run);
        writer.commit();
      }
  }
  report.runs = written.size();
  if (analyse) {
    auto analysis = analyse(read_results(out));
    writer.set_root_summaries(analysis.summaries);
    if (!analysis.verdicts.empty()) writer.set_verdicts(analysis.verdicts);
  }
  writer.close();
  return report;
}

}  // namespace genbench

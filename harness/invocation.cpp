#include "harness/invocation.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>
#include <tuple>

#include "core/text.h"
#include "harness/manifest.h"
#include "harness/progress.h"
#include "harness/provenance.h"
#include "harness/scheduler.h"
#include "harness/verdicts.h"
#include "harness/worker.h"
#include "suites/detector.h"
#include "tasks/task.h"

namespace genbench {

namespace fs = std::filesystem;

namespace {

std::string attr_string(const AttrMap& attrs, const std::string& key) {
  auto it = attrs.find(key);
  return it == attrs.end() ? "" : format_value(it->second);
}

// A fresh file: every root attribute SCHEMA.md lists, and the plan.
std::unique_ptr<ResultsWriter> create_file(const Invocation& inv, const InvocationOptions& o, const std::string& path,
                                           const std::string& device, int jobs) {
  auto attrs = collect_provenance();
  attrs["command_line"] = o.command_line;
  attrs["suite"] = inv.suite.suite;
  attrs["detector"] = inv.suite.detector;
  attrs["suite_file"] = inv.suite.file;
  attrs["suite_text"] = inv.suite.text;
  attrs["suite_description"] = inv.suite.description;
  attrs["task"] = inv.suite.task;
  if (const Task* task = find_task(inv.suite.task)) {
    std::vector<std::string> units;
    for (const auto& [key, unit] : task->units()) units.push_back(key + ": " + unit);
    attrs["units"] = join(units, "\n");
  }
  attrs["tier"] = inv.tier;
  attrs["sets"] = join(inv.expand.sets, "\n");
  attrs["filters"] = join(inv.expand.filters, "\n");
  attrs["seeds"] = inv.expand.seeds;
  attrs["sweeps"] = join(inv.expand.sweeps, "\n");
  attrs["torch_version"] = torch_version();
  attrs["device"] = device;
  attrs["threads_per_run"] = inv.suite.threads;
  attrs["jobs"] = static_cast<int64_t>(jobs);
  attrs["runs_planned"] = static_cast<int64_t>(inv.runs.size());
  attrs["status"] = to_string(FileStatus::Running);
  if (inv.shard_count > 1) attrs["shard"] = std::to_string(inv.shard_index) + "/" + std::to_string(inv.shard_count);
  std::vector<PlannedRun> plan;
  for (const auto& r : inv.runs) plan.push_back({r.id, r.point, r.seed});
  return std::make_unique<ResultsWriter>(path, attrs, plan);
}

// The resumed file, re-opened, with this resume counted.
std::unique_ptr<ResultsWriter> reopen_file(const Invocation& inv, const InvocationOptions& o) {
  auto writer = std::make_unique<ResultsWriter>(inv.resume_path);
  auto it = inv.stored.find("resume_count");
  auto count = it != inv.stored.end() && std::holds_alternative<int64_t>(it->second) ? std::get<int64_t>(it->second) : 0;
  writer->set_root_attrs({{"resume_count", count + 1},
                          {"resume_command_lines", attr_string(inv.stored, "resume_command_lines") + o.command_line + "\n"},
                          {"status", to_string(FileStatus::Running)}});
  return writer;
}

}  // namespace

bool Invocation::in_shard(size_t plan_index) const {
  const auto n = static_cast<int64_t>(runs.size()), i = static_cast<int64_t>(plan_index);
  return i >= shard_index * n / shard_count && i < (shard_index + 1) * n / shard_count;
}

std::vector<RunSpec> Invocation::todo() const {
  std::vector<RunSpec> out;
  for (size_t i = 0; i < runs.size(); ++i)
    if (in_shard(i) && !finished.count(runs[i].id)) out.push_back(runs[i]);
  return out;
}

namespace {

// "I/N" with 0 <= I < N.
std::pair<int64_t, int64_t> parse_shard(const std::string& text, const std::string& where) {
  long long index = -1, count = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%lld/%lld%c", &index, &count, &tail) != 2 || count < 1 || index < 0 || index >= count)
    throw ConfigError(where + ": expected I/N with 0 <= I < N (e.g. 0/4), found '" + text + "'");
  return {index, count};
}

// The stored plan and what finished, from a file to resume.
std::vector<PlannedRun> read_resumed(Invocation& inv, const std::string& path, uint64_t max_runs) {
  auto file = read_results(path, {/*trajectories=*/false});  // the plan and what finished
  inv.resume_path = path;
  inv.stored = file.root;
  inv.suite = parse_suite(file.root_string("suite_text"), file.root_string("suite_file"));
  inv.expand = {file.root_string("tier"), split_lines(file.root_string("sets")), split_lines(file.root_string("filters")),
                std::max<uint64_t>(max_runs, file.plan.size()),  // the plan it was allowed to have
                file.root_string("seeds"), split_lines(file.root_string("sweeps"))};
  for (const auto& r : file.runs) inv.finished.insert(r.id);
  return file.plan;
}

// A manifest's shard: I from --shard, or from Slurm's array task id (plus
// GENBENCH_SHARD_OFFSET, for arrays split at the cluster's MaxArraySize); N
// is the manifest's.
int64_t manifest_shard(const Manifest& m, const std::string& shard_option) {
  if (!shard_option.empty()) {
    auto [index, count] = parse_shard(shard_option, "bench-run: --shard");
    if (count != m.shards)
      throw ConfigError("bench-run: --shard " + shard_option + ": " + m.path() + " cuts the plan into " +
                        std::to_string(m.shards) + " shards, not " + std::to_string(count));
    return index;
  }
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (!task) throw ConfigError("bench-run: --manifest needs --shard I/N (or SLURM_ARRAY_TASK_ID, as in a job array)");
  const char* offset = std::getenv("GENBENCH_SHARD_OFFSET");
  auto text = std::to_string(std::atoll(task) + (offset ? std::atoll(offset) : 0)) + "/" + std::to_string(m.shards);
  return parse_shard(text, "bench-run: SLURM_ARRAY_TASK_ID").first;
}

}  // namespace

Invocation plan_invocation(const InvocationOptions& o) {
  Invocation inv;
  std::vector<PlannedRun> stored_plan;
  std::optional<Manifest> manifest;
  std::string shard = o.shard;
  if (!o.manifest.empty()) {  // a shard of a frozen sweep: its file is made, or resumed
    manifest = read_manifest(o.manifest);
    const auto index = manifest_shard(*manifest, o.shard);
    shard = std::to_string(index) + "/" + std::to_string(manifest->shards);
    inv.out_path = manifest->shard_file(index);
    if (fs::exists(inv.out_path)) {
      stored_plan = read_resumed(inv, inv.out_path, o.max_runs);
      auto stored = attr_string(inv.stored, "shard");
      if ((stored.empty() ? "0/1" : stored) != shard)  // a file of the whole plan has none
        throw ConfigError(inv.out_path + ": /: shard is '" + stored + "', expected " + shard);
    } else {
      inv.suite = parse_suite(manifest->suite_text, manifest->suite_file);
      inv.expand = {manifest->tier, manifest->sets, manifest->filters,
                    std::max<uint64_t>(o.max_runs, manifest->runs.size()), manifest->seeds, manifest->sweeps};
    }
  } else if (!o.resume.empty()) {  // everything comes from the interrupted file
    stored_plan = read_resumed(inv, o.resume, o.max_runs);
  } else {
    inv.suite = load_suite(o.suite_path);
    inv.expand = {o.tier, o.sets, o.filters, o.max_runs, o.seeds, o.sweeps};
  }
  inv.runs = expand(inv.suite, inv.expand);
  if (manifest) check_frozen_plan(*manifest, inv.runs);
  if (inv.resuming()) {
    bool same = inv.runs.size() == stored_plan.size();
    for (size_t i = 0; same && i < inv.runs.size(); ++i) same = inv.runs[i].id == stored_plan[i].id;
    if (!same)
      throw ConfigError(inv.resume_path + ": the stored suite no longer expands to the stored plan (was this file "
                                          "written by another genbench version?)");
  }
  inv.tier = inv.expand.tier.empty() ? inv.suite.default_tier : inv.expand.tier;
  if (inv.resuming() && !manifest) shard = attr_string(inv.stored, "shard");
  if (!shard.empty())
    std::tie(inv.shard_index, inv.shard_count) =
        parse_shard(shard, inv.resuming() ? inv.resume_path + ": /: shard" : "bench-run: --shard");
  return inv;
}

namespace {

bool file_or_its_runs_exist(const std::string& path) {
  return fs::exists(path) || fs::exists(loose_runs_dir(path));
}

}  // namespace

// results/<suite>-<tier>-<UTC time>.h5; two sweeps started in the same second get -2, -3, ...
std::string default_out_path(const Invocation& inv) {
  auto stem = "results/" + inv.suite.suite + "-" + (inv.tier.empty() ? "default" : inv.tier) + "-" + utc_stamp();
  auto path = stem + ".h5";
  for (int n = 2; file_or_its_runs_exist(path); ++n) path = stem + "-" + std::to_string(n) + ".h5";
  return path;
}

InvocationOutcome run_invocation(const Invocation& inv, const InvocationOptions& o) {
  auto todo = execution_order(inv.todo());
  int64_t stack = inv.suite.stack;
  if (!o.stack.empty()) {
    auto parsed = parse_stack(o.stack);
    if (!parsed) throw ConfigError("--stack: expected auto, off or a number of runs >= 1, found '" + o.stack + "'");
    stack = *parsed;
  }
  SchedulerOptions sched;
  sched.jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  sched.devices = resolve_devices(o.device);
  sched.device = sched.devices[0];
  for (size_t i = 1; i < sched.devices.size(); ++i) sched.device += "," + sched.devices[i];  // the file's and the log's
  sched.threads = inv.suite.threads;
  sched.worker_exe = o.worker_exe;
  sched.run_timeout_s = o.run_timeout_s;
  const Detector* detector = find_detector(inv.suite.detector);

  InvocationOutcome outcome;
  outcome.out_path = inv.resuming() ? inv.resume_path : !inv.out_path.empty() ? inv.out_path
                                                       : o.out.empty() ? default_out_path(inv) : o.out;
  if (!inv.resuming() && !o.force && file_or_its_runs_exist(outcome.out_path))  // finished runs are never replaced silently
    throw ConfigError("bench-run: " + outcome.out_path + " exists; finish it with: bench-run --resume " +
                      outcome.out_path + ", or replace it with --force");
  if (auto parent = fs::path(outcome.out_path).parent_path(); !parent.empty()) fs::create_directories(parent);
  auto writer = inv.resuming() ? reopen_file(inv, o) : create_file(inv, o, outcome.out_path, sched.device, sched.jobs);

  size_t mine = 0;
  for (size_t i = 0; i < inv.runs.size(); ++i) mine += inv.in_shard(i);
  const auto shard = inv.shard_count > 1 ? " shard " + std::to_string(inv.shard_index) + "/" + std::to_string(inv.shard_count) +
                                               " of " + std::to_string(inv.runs.size()) + ":"
                                         : std::string();
  std::fprintf(stderr, "bench-run: %s%s:%s %zu runs (%zu already done), %d at a time on %s -> %s\n",
               inv.suite.suite.c_str(), inv.tier.empty() ? "" : (" tier " + inv.tier).c_str(), shard.c_str(), mine,
               mine - todo.size(), sched.jobs, sched.device.c_str(), outcome.out_path.c_str());
  install_interrupt_handlers();
  Progress progress(todo.size(), isatty(STDERR_FILENO));
  const Task* task = find_task(inv.suite.task);
  progress.plan(todo, sched.jobs, [task](const RunSpec& run) { return task ? task->last_step(run.params) : -1; });
  try {
    SweepCallbacks callbacks;
    callbacks.finished = [&](RunRecord&& run) {
      if (detector)
        for (const auto& [k, v] : detector->analyse(run)) run.summaries[k] = v;
      writer->add_run(run);
      writer->commit();  // durable before the next run is reported
    };
    callbacks.checkpoint = [&](const std::vector<const RunRecord*>& running) {
      writer->set_partial(running);
      writer->commit();
    };
    callbacks.checkpoint_every_s = o.checkpoint_s;
    outcome.complete = run_jobs(plan_jobs(todo, sched.devices[0], stack, sched.jobs), sched, callbacks, progress);
  } catch (const ResultsError& e) {
    outcome.write_error = e.what();
  }
  progress.done();
  outcome.failed = progress.failed();
  if (!outcome.write_error.empty()) return outcome;
  // Suite-level summaries, then the claims, from the file as it now stands;
  // the claims judge the whole sweep: not a shard's slice, not an interrupted one.
  const bool judged = outcome.complete && inv.shard_count == 1 && !claims_for(inv.suite, inv.tier).empty();
  if (detector || judged) {
    writer->commit();  // both read every run committed
    auto so_far = read_results(outcome.out_path);
    if (detector) {
      auto summaries = detector->analyse_suite(so_far);
      writer->set_root_summaries(summaries);
      for (const auto& [k, v] : summaries) so_far.summaries[k] = v;
    }
    if (judged) {
      outcome.verdicts = judge_tier(inv.suite, inv.tier, so_far);
      writer->set_verdicts(outcome.verdicts);
    }
  }
  writer->set_root_attrs({{"end_time", utc_now()}, {"status", to_string(outcome.complete ? FileStatus::Complete : FileStatus::Interrupted)}});
  writer->commit();
  return outcome;
}

}  // namespace genbench

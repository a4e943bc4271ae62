// bench-run: runs a suite (configs/*.yaml) and writes one HDF5 file.
//
// Exit codes: 0 every run finished (ok or diverged: divergence is a result),
// 1 a run failed or the results could not be written (with --check: or a
// claim failed), 2 bad input (nothing was written; with --check: or a claim
// could not be judged), 128 + the signal when stopped by SIGINT (130), SIGTERM (143)
// or SIGHUP (129): every finished run is in the file.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "apps/cli.h"
#include "core/text.h"
#include "harness/invocation.h"
#include "harness/provenance.h"
#include "harness/result_table.h"
#include "harness/scheduler.h"
#include "harness/slurm.h"
#include "harness/verdicts.h"
#include "harness/worker.h"
#include "suites/detector.h"
#include "tasks/task.h"

using namespace genbench;
namespace fs = std::filesystem;

namespace {

// The suite files (*.yaml) in a folder, sorted; `ec` says why none could be listed.
std::vector<fs::path> suite_files(const std::string& dir, std::error_code& ec) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

int list(std::string dir) {
  if (dir.empty()) dir = "configs";  // `--list` with no folder
  std::cout << "tasks:\n";
  for (const auto* t : all_tasks()) std::printf("  %-18s %s\n", t->name().c_str(), t->summary().c_str());
  std::error_code ec;
  auto where = fs::absolute(dir, ec).lexically_normal().string();
  std::cout << "suites in " << dir << " (" << where << "):\n";
  auto files = suite_files(dir, ec);
  if (ec || files.empty()) {  // run outside the repository, most likely: say so rather than list nothing
    std::cout << "  (none)\n";
    std::fprintf(stderr, "bench-run: --list: %s: %s; give the folder of the suite files: bench-run --list PATH/configs\n",
                 where.c_str(), ec ? ec.message().c_str() : "no *.yaml suite files there");
    return 0;
  }
  int width = 0;
  for (const auto& f : files) width = std::max(width, static_cast<int>(f.string().size()));
  for (const auto& f : files) {
    try {
      auto s = load_suite(f.string());
      std::vector<std::string> tiers;
      for (const auto& [name, t] : s.tiers) tiers.push_back(name == s.default_tier ? name + "*" : name);
      auto first_line = s.description.substr(0, s.description.find('\n'));
      std::printf("  %-*s  task %-16s tiers %-26s %s\n", width, f.string().c_str(), s.task.c_str(),
                  join(tiers, ",").c_str(), first_line.c_str());
    } catch (const ConfigError& e) {
      std::printf("  %-*s  INVALID: %s\n", width, f.string().c_str(), e.what());
    }
  }
  return 0;
}

// --list-claims: every suite's claims (its default tier's) as the Markdown README quotes.
int list_claims(std::string dir) {
  if (dir.empty()) dir = "configs";  // `--list-claims` with no folder
  std::error_code ec;
  auto files = suite_files(dir, ec);
  if (ec) throw ConfigError(dir + ": cannot list suites: " + ec.message());
  auto cell = [](std::string text) {  // a Markdown table cell
    std::string out;
    for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  for (const auto& f : files) {
    auto suite = load_suite(f.string());
    const auto& claims = claims_for(suite, suite.default_tier);
    if (claims.empty()) continue;
    std::printf("**%s** (`%s`, tier %s)\n\n| claim | quantity | bound | source |\n|---|---|---|---|\n", suite.suite.c_str(),
                f.filename().string().c_str(), suite.default_tier.empty() ? "-" : suite.default_tier.c_str());
    for (const auto& c : claims)
      std::printf("| %s | %s | %s | %s |\n", cell(c.name).c_str(), cell(c.subject_text()).c_str(),
                  cell(c.bound_text() + (c.per_run ? ", " + c.over_text() : "")).c_str(), cell(c.source).c_str());
    std::printf("\n");
  }
  return 0;
}

int describe(const std::string& name) {
  const Task* task = find_task(name);
  if (!task) {
    auto names = task_names();
    std::cerr << "bench-run: unknown task '" << name << "'" << did_you_mean(name, names)
              << "; known tasks: " << join(names, ", ") << "\n";
    return 2;
  }
  std::cout << task->name() << ": " << task->summary() << "\n\n";
  int width = 12;  // the default column fits the longest default
  for (const auto& p : task->params()) width = std::max(width, static_cast<int>(format_value(p.default_value).size()));
  std::printf("  %-18s %-14s %-*s %-16s %s\n", "parameter", "type", width, "default", "range", "help");
  for (const auto& p : task->params()) {
    std::string range;
    if (!p.choices.empty()) range = join(p.choices, "|");
    else if (p.min || p.max)
      range = (p.min ? format_value(*p.min) : std::string("-inf")) + ".." + (p.max ? format_value(*p.max) : std::string("inf"));
    std::printf("  %-18s %-14s %-*s %-16s %s\n", p.name.c_str(), type_name(p.type), width,
                format_value(p.default_value).c_str(), range.c_str(), p.help.c_str());
  }
  return 0;
}

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "bench-run" : p.string();
}

// --judge FILE: the claims of FILE's suite (or of the suite file given) judged on it.
int judge(const std::string& path, const InvocationOptions& o, bool check) {
  auto file = read_results(path);
  auto tier = o.tier.empty() ? file.root_string("tier") : o.tier;
  std::vector<Claim> claims;
  std::string source;
  if (o.suite_path.empty()) {
    claims = stored_claims(file, tier);
    source = "the suite file it stores";
  } else {
    auto suite = load_suite(o.suite_path);
    if (!suite.tiers.empty() && !suite.tiers.count(tier))
      throw ConfigError(suite.file + ": no tier '" + tier + "' (the file's tier is '" + file.root_string("tier") + "')");
    claims = claims_for(suite, tier);
    source = suite.file;
  }
  if (!file.missing().empty())
    std::fprintf(stderr, "bench-run: %s holds %zu of %zu planned runs: the missing ones fail their claims\n", path.c_str(),
                 file.runs.size(), file.plan.size());
  auto verdicts = judge_claims(claims, file);
  if (verdicts.empty()) {
    std::printf("%s: tier '%s' of %s makes no claims\n", path.c_str(), tier.c_str(), source.c_str());
    return 0;
  }
  std::printf("%s (tier %s, claims of %s)\n%s", path.c_str(), tier.c_str(), source.c_str(), verdict_table(verdicts).c_str());
  return check ? verdict_exit_code(verdicts) : 0;
}

int run_suite(const InvocationOptions& o, bool dry_run, bool check) {
  auto invocation = plan_invocation(o);
  if (dry_run) {
    std::vector<RunSpec> shown;  // the shard's slice when there is one
    for (size_t i = 0; i < invocation.runs.size(); ++i)
      if (invocation.in_shard(i)) shown.push_back(invocation.runs[i]);
    std::cout << plan_table(shown);
    return 0;
  }
  auto outcome = run_invocation(invocation, o);
  if (!outcome.write_error.empty()) {
    std::fprintf(stderr, "bench-run: %s\nbench-run: the sweep was stopped; %s holds every run committed before\n",
                 outcome.write_error.c_str(), outcome.out_path.c_str());
    return 1;
  }
  const auto& suite = invocation.suite;
  auto file = read_results(outcome.out_path, {/*trajectories=*/false});  // the table reads summaries only
  std::printf("%s (%s%s): %zu of %zu runs in %s\n", suite.suite.c_str(), suite.task.c_str(),
              invocation.tier.empty() ? "" : (", tier " + invocation.tier).c_str(), file.runs.size(), file.plan.size(),
              outcome.out_path.c_str());
  std::cout << results_table(file, find_detector(suite.detector));
  for (const auto& [k, v] : file.summaries) std::printf("  %s = %s\n", k.c_str(), short_number(v).c_str());
  if (!outcome.verdicts.empty()) std::printf("\n%s", verdict_table(outcome.verdicts).c_str());
  if (!suite.description.empty())
    std::printf("\n%s%s", suite.description.c_str(), suite.description.back() == '\n' ? "" : "\n");
  if (!outcome.complete) {
    if (o.manifest.empty())
      std::fprintf(stderr, "bench-run: interrupted; finish with: bench-run --resume %s\n", outcome.out_path.c_str());
    else
      std::fprintf(stderr, "bench-run: interrupted; finish with: bench-run --manifest %s --shard %lld/%lld\n",
                   o.manifest.c_str(), static_cast<long long>(invocation.shard_index),
                   static_cast<long long>(invocation.shard_count));
    return 128 + (interrupting_signal() ? interrupting_signal() : SIGINT);
  }
  if (outcome.failed > 0) return 1;
  return check ? verdict_exit_code(outcome.verdicts) : 0;
}

// --slurm: the plan frozen, as a job array and a merge job.
int submit_to_slurm(const InvocationOptions& o, SlurmOptions slurm) {
  auto invocation = plan_invocation(o);
  auto m = manifest_of(invocation.runs);
  m.suite = invocation.suite.suite;
  m.suite_file = invocation.suite.file;
  m.suite_text = invocation.suite.text;
  m.tier = invocation.tier;
  m.sets = invocation.expand.sets;
  m.filters = invocation.expand.filters;
  m.seeds = invocation.expand.seeds;
  m.sweeps = invocation.expand.sweeps;
  m.bench_run = o.worker_exe;
  m.created = utc_now();
  m.git_commit = git_commit();
  m.host = host_name();
  m.command_line = o.command_line;
  slurm.jobs_per_shard = o.jobs > 0 ? o.jobs : 1;
  return submit_sweep(std::move(m), slurm);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--worker") == 0) {
    // A worker has written everything it owes the parent (unbuffered, on its
    // pipe) and holds no file: it leaves without running LibTorch's static
    // destructors, which unregister every operator (~0.1 s of CPU a worker).
    const int rc = worker_main();
    std::fflush(nullptr);
    std::_Exit(rc);
  }

  CLI::App app{"Runs a suite (configs/*.yaml) and writes every run's trajectory to one HDF5 file.", "bench-run"};
  InvocationOptions o;
  bool dry_run = false, check = false;
  std::string judge_path;
  std::string list_dir = "configs", describe_task;
  app.add_option("suite", o.suite_path, "the suite file (configs/*.yaml)")->type_name("SUITE.yaml");
  app.add_option("--tier", o.tier, "a tier of the suite (smoke, ci, full...); default: the suite's default_tier");
  cli::repeatable(app.add_option("--set", o.sets, "set a parameter in every run, over the file's values (repeatable)"))
      ->type_name("KEY=VALUE");
  cli::repeatable(app.add_option("--filter", o.filters, "keep runs where it holds: k=2, seed<2, optimizer!=gd, point=part (of the point's name) (repeatable)"))
      ->type_name("EXPR");
  app.add_option("--seeds", o.seeds, "the seeds of every point, over the tier's: 5 (0-4), 0-9, 1,3,7 or 0-4,9")
      ->type_name("SEEDS");
  cli::repeatable(app.add_option("--sweep", o.sweeps,
                                 "sweep a parameter over values, cartesian with the file's sweep (replacing its axis of "
                                 "that key): lr=0.01,0.1 (repeatable)"))
      ->type_name("KEY=V1,V2");
  app.add_flag("--dry-run", dry_run, "print the expanded run table (each run's swept values) and exit");
  app.add_flag("--check", check,
               "exit 1 when a claim of the tier (its expect:) fails, 2 when one cannot be judged; without it the "
               "verdicts are printed and stored, and only runs decide the exit code");
  auto* judge_opt = app.add_option("--judge", judge_path,
                                   "judge the claims on a results file and print the verdicts (the file's stored suite, "
                                   "or SUITE.yaml when given; --tier picks another tier); nothing is written")
                        ->type_name("FILE");
  app.add_option("--jobs", o.jobs, "runs side by side, one process each (default: the number of cores)")
      ->check(cli::int_range(1, 1024))->type_name("N");
  app.add_option("--stack", o.stack,
                 "auto, off or N: train compatible runs of the sweep as one batched model, at most N a stack "
                 "(default: the suite's stack:, auto; results are the same either way)");
  app.add_option("--device", o.device, "cpu, cuda (every GPU: each new worker on the one with the fewest), cuda:i (that one) or auto (default cpu)");
  app.add_option("--out", o.out, "results file (default results/<suite>-<tier>-<UTC time>.h5)")->type_name("FILE");
  app.add_option("--shard", o.shard,
                 "run only the I-th of N contiguous slices of the plan (0 <= I < N); the file keeps the whole plan, "
                 "and bench-merge joins the N files")
      ->type_name("I/N");
  app.add_option("--max-runs", o.max_runs, "refuse a plan of more runs than N, before building it (default 1000000)")
      ->check(CLI::PositiveNumber)->type_name("N");
  app.add_flag("--force", o.force, "replace the file --out names if it exists (default: refuse, keeping its runs)");
  app.add_option("--checkpoint", o.checkpoint_s, "write the runs in progress to the file every S seconds (default 5)")
      ->check(cli::positive_seconds())->type_name("S");
  app.add_option("--run-timeout", o.run_timeout_s,
                 "a run still going after S seconds is killed and fails, and the sweep goes on (default: no limit)")
      ->check(cli::positive_seconds())->type_name("S");
  auto* resume = app.add_option("--resume", o.resume, "finish an interrupted or killed invocation's file")->type_name("FILE");
  auto* list_opt = app.add_option("--list", list_dir, "list the suites in DIR (default configs/) and the tasks")
                       ->expected(0, 1)->type_name("[DIR]");
  std::string claims_dir = "configs";
  auto* list_claims_opt = app.add_option("--list-claims", claims_dir,
                                         "every suite's claims in DIR (default configs/), for its default tier, as Markdown")
                              ->expected(0, 1)->type_name("[DIR]");
  auto* describe_opt = app.add_option("--describe", describe_task, "a task's parameters: type, default, range, help")
                           ->type_name("TASK");
  SlurmOptions slurm;
  std::string slurm_status_dir, slurm_merge_dir, slurm_resubmit_dir;
  auto* slurm_opt = app.add_option("--slurm", slurm.dir,
                                   "submit the sweep to Slurm as a job array and a merge job; DIR gets the frozen "
                                   "manifest, the scripts, the shards, the logs and the merged file")
                        ->type_name("DIR");
  auto* shards_opt = app.add_option("--shards", slurm.shards, "with --slurm: cut the plan into N shards (default: one per run, up to 100)")
                         ->check(CLI::PositiveNumber)->type_name("N");
  auto* throttle_opt = app.add_option("--throttle", slurm.throttle, "with --slurm: at most K shards at once (the array's %K)")
                           ->check(CLI::PositiveNumber)->type_name("K");
  auto* requeue_opt = app.add_option("--max-requeues", slurm.max_requeues,
                                     "with --slurm: a preempted or timed-out shard requeues itself up to R times (default 3)")
                          ->check(CLI::NonNegativeNumber)->type_name("R");
  cli::repeatable(app.add_option("--sbatch-arg", slurm.sbatch_args,
                                 "with --slurm or --slurm-resubmit: passed to sbatch, e.g. --sbatch-arg=--partition=gpu (repeatable)"))
      ->type_name("ARG");
  auto* manifest_opt = app.add_option("--manifest", o.manifest,
                                      "run one shard of a frozen sweep (--shard I/N, or the array task's) into DIR/shards/I.h5; "
                                      "resumes it when it exists")
                           ->type_name("DIR");
  auto* status_opt = app.add_option("--slurm-status", slurm_status_dir, "per shard of a --slurm sweep: done, running, pending, stopped, missing")
                         ->type_name("DIR");
  auto* merge_opt = app.add_option("--slurm-merge", slurm_merge_dir, "join a --slurm sweep's shards into DIR/SUITE.h5 (its merge job runs this)")
                        ->type_name("DIR");
  auto* resubmit_opt = app.add_option("--slurm-resubmit", slurm_resubmit_dir, "submit the shards of a --slurm sweep that are not done again")
                           ->type_name("DIR");
  for (const char* taken : {"suite", "--tier", "--set", "--filter", "--seeds", "--sweep", "--out", "--force", "--shard"})
    resume->excludes(taken);
  for (auto* option : {resume, list_opt, describe_opt, manifest_opt, status_opt, merge_opt, resubmit_opt})
    slurm_opt->excludes(option);
  for (const char* taken : {"--out", "--force", "--shard"}) slurm_opt->excludes(taken);  // DIR says where; --shards how
  for (const char* taken : {"suite", "--tier", "--set", "--filter", "--seeds", "--sweep", "--out", "--force", "--resume"})
    manifest_opt->excludes(taken);
  for (auto* needs_slurm : {shards_opt, throttle_opt, requeue_opt}) needs_slurm->needs(slurm_opt);
  list_opt->excludes(describe_opt);
  for (const char* taken : {"--set", "--filter", "--seeds", "--sweep", "--out", "--force", "--resume", "--shard", "--manifest",
                            "--slurm", "--dry-run"})
    judge_opt->excludes(taken);
  if (auto code = cli::parse(app, argc, argv)) return *code;

  try {
    if (list_opt->count()) return list(list_dir);
    if (list_claims_opt->count()) return list_claims(claims_dir);
    if (describe_opt->count()) return describe(describe_task);
    if (judge_opt->count()) return judge(judge_path, o, check);
    if (status_opt->count()) return slurm_status(slurm_status_dir);
    if (merge_opt->count()) return slurm_merge(slurm_merge_dir);
    for (int i = 0; i < argc; ++i) o.command_line += (i ? " " : "") + std::string(argv[i]);
    o.worker_exe = self_exe();
    if (resubmit_opt->count()) return slurm_resubmit(slurm_resubmit_dir, slurm.sbatch_args);
    if (slurm_opt->count()) {
      if (o.suite_path.empty()) throw ConfigError("bench-run: --slurm needs a suite file");
      slurm.dry_run = dry_run;
      return submit_to_slurm(o, slurm);
    }
    if (o.suite_path.empty() && o.resume.empty() && o.manifest.empty()) {
      std::cerr << "bench-run: no suite file given (see bench-run --help)\n";
      return 2;
    }
    return run_suite(o, dry_run, check);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const ResultsError& e) {
    std::cerr << "bench-run: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bench-run: " << e.what() << "\n";
    return 1;
  }
}

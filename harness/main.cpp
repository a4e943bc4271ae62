// bench-run: runs a suite (configs/*.yaml) and writes one HDF5 file.
//
// Exit codes: 0 every run finished (ok or diverged: divergence is a result),
// 1 a run failed or the results could not be written, 2 bad input (nothing
// was written), 130 interrupted (every finished run is in the file).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <iostream>
#include <sstream>
#include <thread>

#include "harness/progress.h"
#include "harness/provenance.h"
#include "harness/scheduler.h"
#include "harness/suite.h"
#include "harness/worker.h"
#include "results/store.h"
#include "suites/detector.h"
#include "tasks/task.h"

using namespace genbench;
namespace fs = std::filesystem;

namespace {

const char* kUsage =
    "usage: bench-run SUITE.yaml [--tier T] [--set key=value ...] [--filter expr ...] [--dry-run]\n"
    "                 [--jobs N] [--device cpu|cuda|cuda:i|auto] [--out FILE] [--checkpoint S]\n"
    "       bench-run --resume FILE [--jobs N] [--device D]   finish an interrupted run\n"
    "       bench-run --list [DIR]        suites in DIR (default configs/) and the tasks\n"
    "       bench-run --describe TASK     a task's parameters\n"
    "\n"
    "  --tier T        a tier of the suite (smoke, ci, full...); default: the suite's default_tier\n"
    "  --set k=v       set a parameter in every run, over the file's values (repeatable)\n"
    "  --filter expr   keep runs where expr holds: k=2, seed<2, optimizer!=gd, point=name (repeatable)\n"
    "  --dry-run       print the expanded run table and exit\n"
    "  --jobs N        runs side by side, one process each (default: the number of cores)\n"
    "  --device D      cpu, cuda, cuda:i or auto (default cpu)\n"
    "  --out FILE      results file (default results/<suite>-<tier>-<UTC time>.h5)\n"
    "  --checkpoint S  write the runs in progress to the file every S seconds (default 5)\n";

struct Options {
  std::string suite_path, tier, out, resume, device = "cpu";
  std::vector<std::string> sets, filters;
  bool dry_run = false;
  int jobs = 0;
  double checkpoint_s = 5;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Options parse_args(int argc, char** argv) {
  Options o;
  auto value = [&](int& i, const std::string& flag) -> std::string {
    if (i + 1 >= argc) throw UsageError(flag + " needs a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--tier") o.tier = value(i, a);
    else if (a == "--set") o.sets.push_back(value(i, a));
    else if (a == "--filter") o.filters.push_back(value(i, a));
    else if (a == "--dry-run") o.dry_run = true;
    else if (a == "--out") o.out = value(i, a);
    else if (a == "--resume") o.resume = value(i, a);
    else if (a == "--device") o.device = value(i, a);
    else if (a == "--checkpoint") {
      auto v = value(i, a);
      char* end = nullptr;
      o.checkpoint_s = std::strtod(v.c_str(), &end);
      if (*end || !(o.checkpoint_s > 0)) throw UsageError("--checkpoint: expected seconds > 0, found '" + v + "'");
    }
    else if (a == "--jobs") {
      auto v = value(i, a);
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (*end || n < 1 || n > 1024) throw UsageError("--jobs: expected a number from 1 to 1024, found '" + v + "'");
      o.jobs = static_cast<int>(n);
    } else if (a.rfind("--", 0) == 0) throw UsageError("unknown option " + a);
    else if (o.suite_path.empty()) o.suite_path = a;
    else throw UsageError("more than one suite file given: " + o.suite_path + ", " + a);
  }
  if (o.suite_path.empty() && o.resume.empty()) throw UsageError("no suite file given");
  if (!o.resume.empty() && (!o.tier.empty() || !o.sets.empty() || !o.filters.empty() || !o.out.empty()))
    throw UsageError("--resume takes the tier, --set, --filter and file of the interrupted run; give none of them");
  return o;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string attr_string(const AttrMap& attrs, const std::string& key) {
  auto it = attrs.find(key);
  return it == attrs.end() ? "" : format_value(it->second);
}

int list(const std::string& dir) {
  std::cout << "tasks:\n";
  for (const auto* t : all_tasks()) std::printf("  %-18s %s\n", t->name().c_str(), t->summary().c_str());
  std::cout << "suites in " << dir << ":\n";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
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

int describe(const std::string& name) {
  const Task* task = find_task(name);
  if (!task) {
    std::vector<std::string> names;
    for (const auto* t : all_tasks()) names.push_back(t->name());
    auto near = nearest_name(name, names);
    std::cerr << "bench-run: unknown task '" << name << "'" << (near.empty() ? "" : " (did you mean '" + near + "'?)")
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

void print_plan(const std::vector<RunSpec>& runs) {
  std::printf("%5s  %-16s  %6s  %s\n", "index", "run id", "seed", "point");
  for (const auto& r : runs)
    std::printf("%5lld  %-16s  %6llu  %s\n", static_cast<long long>(r.index), r.id.c_str(),
                static_cast<unsigned long long>(r.seed), r.point.empty() ? "(defaults)" : r.point.c_str());
  std::printf("%zu runs\n", runs.size());
}

std::string short_number(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e9) snprintf(buf, sizeof buf, "%.0f", v);
  else snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// The readable result: one line per sweep point, the detector's headline
// numbers as medians over seeds (every run's own values are in the file).
void print_results(const ResultsFile& file, const Detector* detector) {
  std::vector<std::string> keys;  // the detector's headline keys that some run has
  for (const auto& k : detector ? detector->headline() : std::vector<std::string>{})
    if (std::any_of(file.runs.begin(), file.runs.end(), [&](const RunRecord& r) { return r.summaries.count(k) > 0; }))
      keys.push_back(k);
  std::vector<std::string> points;  // in plan order
  std::map<std::string, std::vector<const RunRecord*>> by_point;
  for (const auto& r : file.runs) {
    if (!by_point.count(r.point)) points.push_back(r.point);
    by_point[r.point].push_back(&r);
  }
  size_t point_w = 5;
  for (const auto& p : points) point_w = std::max(point_w, p.size());
  std::printf("\n%-*s %7s", static_cast<int>(point_w), "point", "ok/runs");
  for (const auto& k : keys) std::printf("  %*s", static_cast<int>(std::max<size_t>(9, k.size())), k.c_str());
  std::printf("\n");
  for (const auto& p : points) {
    const auto& runs = by_point[p];
    size_t ok = 0;
    for (const auto* r : runs) ok += r->status == "ok";
    std::printf("%-*s %3zu/%-3zu", static_cast<int>(point_w), p.c_str(), ok, runs.size());
    for (const auto& k : keys) {
      std::vector<double> values;
      for (const auto* r : runs)
        if (auto it = r->summaries.find(k); it != r->summaries.end()) values.push_back(it->second);
      std::string cell = "-";
      if (!values.empty()) {
        std::sort(values.begin(), values.end());
        cell = short_number(values[values.size() / 2]);
        if (values.size() < runs.size()) cell += " (" + std::to_string(values.size()) + "/" + std::to_string(runs.size()) + ")";
      }
      std::printf("  %*s", static_cast<int>(std::max<size_t>(9, k.size())), cell.c_str());
    }
    std::printf("\n");
  }
  if (!keys.empty()) std::printf("(medians over seeds; '-': not reached; (n/m): reached in n of m runs)\n");
  for (const auto& r : file.runs)
    if (r.status != "ok") std::printf("%s seed %llu %s: %s\n", r.point.c_str(), static_cast<unsigned long long>(r.seed), r.status.c_str(), r.error.c_str());
  auto missing = file.missing();
  if (!missing.empty()) std::printf("%zu planned runs are not in the file (interrupted?)\n", missing.size());
}

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "bench-run" : p.string();
}

int run_suite(const Options& o, int argc, char** argv) {
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);

  SuiteSpec suite;
  ExpandOptions expand_options{o.tier, o.sets, o.filters};
  std::string out_path = o.out;
  std::set<std::string> finished;
  AttrMap stored;
  std::vector<PlannedRun> stored_plan;
  if (!o.resume.empty()) {  // everything comes from the interrupted file
    auto file = read_results(o.resume);
    stored = file.root;
    stored_plan = file.plan;
    suite = parse_suite(file.root_string("suite_text"), file.root_string("suite_file"));
    expand_options = {file.root_string("tier"), split_lines(file.root_string("sets")),
                      split_lines(file.root_string("filters"))};
    out_path = o.resume;
    for (const auto& r : file.runs) finished.insert(r.id);
  } else {
    suite = load_suite(o.suite_path);
  }
  auto all_runs = expand(suite, expand_options);
  if (!o.resume.empty()) {
    bool same = all_runs.size() == stored_plan.size();
    for (size_t i = 0; same && i < all_runs.size(); ++i) same = all_runs[i].id == stored_plan[i].id;
    if (!same)
      throw ConfigError(o.resume + ": the stored suite no longer expands to the stored plan (was this file "
                                   "written by another genbench version?)");
  }
  auto tier = expand_options.tier.empty() ? suite.default_tier : expand_options.tier;
  if (o.dry_run) {
    print_plan(all_runs);
    return 0;
  }
  std::vector<RunSpec> todo;
  for (const auto& r : all_runs)
    if (!finished.count(r.id)) todo.push_back(r);

  auto device = resolve_device(o.device);
  SchedulerOptions sched;
  sched.jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  sched.device = device;
  sched.threads = suite.threads;
  sched.worker_exe = self_exe();
  const Detector* detector = find_detector(suite.detector);

  if (out_path.empty()) {
    fs::create_directories("results");
    out_path = "results/" + suite.suite + "-" + (tier.empty() ? "default" : tier) + "-" + utc_stamp() + ".h5";
  } else if (auto parent = fs::path(out_path).parent_path(); !parent.empty()) {
    fs::create_directories(parent);
  }

  std::unique_ptr<ResultsWriter> writer;
  if (!o.resume.empty()) {
    writer = std::make_unique<ResultsWriter>(out_path);
    auto it = stored.find("resume_count");
    auto count = it != stored.end() && std::holds_alternative<int64_t>(it->second) ? std::get<int64_t>(it->second) : 0;
    writer->set_root_attrs({{"resume_count", count + 1},
                            {"resume_command_lines", attr_string(stored, "resume_command_lines") + command_line + "\n"},
                            {"status", std::string("running")}});
  } else {
    auto attrs = collect_provenance();
    attrs["command_line"] = command_line;
    attrs["suite"] = suite.suite;
    attrs["detector"] = suite.detector;
    attrs["suite_file"] = suite.file;
    attrs["suite_text"] = suite.text;
    attrs["suite_description"] = suite.description;
    attrs["task"] = suite.task;
    attrs["tier"] = tier;
    attrs["sets"] = join(o.sets, "\n");
    attrs["filters"] = join(o.filters, "\n");
    attrs["torch_version"] = torch_version();
    attrs["device"] = device;
    attrs["threads_per_run"] = suite.threads;
    attrs["jobs"] = static_cast<int64_t>(sched.jobs);
    attrs["runs_planned"] = static_cast<int64_t>(all_runs.size());
    attrs["status"] = std::string("running");
    std::vector<PlannedRun> plan;
    for (const auto& r : all_runs) plan.push_back({r.id, r.point, r.seed});
    writer = std::make_unique<ResultsWriter>(out_path, attrs, plan);
  }

  std::fprintf(stderr, "bench-run: %s%s: %zu runs (%zu already done), %d at a time on %s -> %s\n",
               suite.suite.c_str(), tier.empty() ? "" : (" tier " + tier).c_str(), all_runs.size(),
               all_runs.size() - todo.size(), sched.jobs, device.c_str(), out_path.c_str());
  install_interrupt_handlers();
  Progress progress(todo.size(), isatty(STDERR_FILENO));
  bool complete = false;
  std::string write_error;
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
    complete = run_all(todo, sched, callbacks, progress);
  } catch (const ResultsError& e) {
    write_error = e.what();
  }
  progress.done();
  if (!write_error.empty()) {
    std::fprintf(stderr, "bench-run: %s\nbench-run: the sweep was stopped; %s holds every run committed before\n",
                 write_error.c_str(), out_path.c_str());
    return 1;
  }
  if (detector) {  // suite-level summaries, from the file as it now stands
    // Committed first: a resume with nothing left to run has not replaced the
    // file it opened yet, and HDF5 will not open that file a second time.
    writer->commit();
    auto so_far = read_results(out_path);
    writer->set_root_summaries(detector->analyse_suite(so_far));
  }
  writer->set_root_attrs({{"end_time", utc_now()}, {"status", std::string(complete ? "complete" : "interrupted")}});
  writer->commit();
  writer.reset();

  auto file = read_results(out_path);
  std::printf("%s (%s%s): %zu of %zu runs in %s\n", suite.suite.c_str(), suite.task.c_str(),
              tier.empty() ? "" : (", tier " + tier).c_str(), file.runs.size(), file.plan.size(), out_path.c_str());
  print_results(file, detector);
  for (const auto& [k, v] : file.summaries) std::printf("  %s = %s\n", k.c_str(), short_number(v).c_str());
  if (!suite.description.empty()) std::printf("\n%s", suite.description.c_str());
  if (!complete) {
    std::fprintf(stderr, "bench-run: interrupted; finish with: bench-run --resume %s\n", out_path.c_str());
    return 130;
  }
  return progress.failed() > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--worker") == 0) return worker_main();
  try {
    if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
      std::cout << kUsage;
      return 0;
    }
    if (argc >= 2 && std::strcmp(argv[1], "--list") == 0) return list(argc >= 3 ? argv[2] : "configs");
    if (argc >= 2 && std::strcmp(argv[1], "--describe") == 0) {
      if (argc < 3) throw UsageError("--describe needs a task name");
      return describe(argv[2]);
    }
    return run_suite(parse_args(argc, argv), argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "bench-run: " << e.what() << "\n\n" << kUsage;
    return 2;
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

// bench-run end to end: the real binary, real worker processes, real files.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <sstream>
#include <thread>

#include "results/store.h"
#include "support.h"

using namespace genbench;
using test::bench_run;

namespace {

// Every trajectory value of every run, bit for bit (NaN equals NaN).
// Waits until the file holds at least n runs (or the process ended).
void wait_for_runs(const std::string& path, size_t n) {
  for (int i = 0; i < 600; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      if (test::exists(path) && read_results(path).runs.size() >= n) return;
    } catch (const ResultsError&) {
    }
  }
  FAIL("timed out waiting for " << n << " runs in " << path);
}

const char* kSlowSuite =
    "suite: slow\n"
    "task: selftest\n"
    "defaults: {steps: 120, sleep_ms: 3}\n"
    "sweep: {grid: {step_std: [0.5, 1, 2, 4]}, seeds: 2}\n"
    "log_every: 5\n";

}  // namespace

TEST_CASE("bad input exits 2 with one clear line and writes nothing", "[cli]") {
  test::TempDir dir;
  auto suite = dir.file("s.yaml");
  auto out = dir.file("out.h5");
  struct Case {
    std::string yaml;
    std::vector<std::string> extra;
    std::string message;
  };
  auto c = GENERATE(values<Case>({  // SUITE stands for the suite file's path
      {"suite: s\ntask: selftest\ndefaults: {steps: ten}\n", {},
       "SUITE:3:19: defaults.steps: expected int, found string 'ten'"},
      {"suite: s\ntask: nope\n", {}, "SUITE:2:7: task: unknown task 'nope'; known tasks: TASKS"},
      {"suite: s\ntask: selftest\n", {"--tier", "ci"}, "SUITE: --tier: unknown tier 'ci'; the suite has no tiers"},
      {"suite: s\ntask: selftest\n", {"--set", "steps=1.5"}, "--set: steps: expected int, found float 1.5"},
      {"suite: s\ntask: selftest\n", {"--jobs", "0"}, "bench-run: --jobs: expected a number from 1 to 1024, found '0' (see bench-run --help)"},
      {"suite: s\ntask: selftest\n", {"--device", "tpu"}, "--device: cannot read 'tpu': expected cpu, cuda, cuda:N or auto"},
      {"suite: s\ntask: selftest\nsweep: {grid: {steps: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], count: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],"
       " sleep_ms: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], step_std: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}, seeds: 200}\n", {"--dry-run"},
       "SUITE: sweep: expands to 2000000 runs, over the limit of 1000000 (bench-run --max-runs N allows more)"},
      {"suite: ../../escaped\ntask: selftest\n", {},
       "SUITE:1:8: suite: expected a plain name (letters, digits, '_', '-', '.'; not starting with '.'), found "
       "'../../escaped'"},
  }));
  test::write_file(suite, c.yaml);
  std::vector<std::string> args{suite, "--out", out};
  args.insert(args.end(), c.extra.begin(), c.extra.end());
  auto r = bench_run(args);
  CAPTURE(c.yaml, r.err);
  CHECK(r.exit_code == 2);
  auto message = test::with_task_list(c.message.rfind("SUITE", 0) == 0 ? suite + c.message.substr(5) : c.message);
  CHECK(r.err.substr(0, r.err.find('\n')) == message);
  CHECK_FALSE(test::exists(out));
}

TEST_CASE("a missing suite file or option is named", "[cli]") {
  auto r = bench_run({"/no/such/suite.yaml"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "/no/such/suite.yaml: cannot open suite file\n");
  r = bench_run({"--bogus"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "bench-run: unknown option --bogus (see bench-run --help)\n");
  r = bench_run({"--jobz", "2"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "bench-run: unknown option --jobz (did you mean '--jobs'?) (see bench-run --help)\n");
}

TEST_CASE("dry runs, --list and --describe print and write nothing", "[cli]") {
  test::TempDir dir;
  auto r = bench_run({test::source_path("configs/matrix_sensing.yaml"), "--tier", "smoke", "--dry-run", "--out",
                      dir.file("o.h5")});
  CHECK(r.exit_code == 0);
  // each run's row shows the values the sweep varies, named points' too
  CHECK_THAT(r.out, Catch::StartsWith("index  run id            seed  point           k\n"));
  CHECK_THAT(r.out, Catch::Contains("  exact_k2        2\n") && Catch::Contains("  overparam_k30  30\n") &&
                        Catch::EndsWith("2 runs; varied: k\n"));
  CHECK_FALSE(test::exists(dir.file("o.h5")));

  r = bench_run({"--list", test::source_path("configs")});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("matrix_sensing.yaml") && Catch::Contains("ci*") && Catch::Contains("selftest"));
  r = bench_run({"--list", dir.file("nowhere")});  // outside the repository: it says where it looked
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("suites in " + dir.file("nowhere")) && Catch::Contains("(none)"));
  CHECK_THAT(r.err, Catch::Contains(dir.file("nowhere") + ": No such file or directory; give the folder of the suite files"));

  r = bench_run({"--describe", "matrix_sensing"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("optimizer") && Catch::Contains("gd|scaledgd|l1_subgradient") &&
                        Catch::Contains("init_scale"));
  r = bench_run({"--describe", "matrix_sensin"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("bench-run: unknown task 'matrix_sensin' (did you mean 'matrix_sensing'?)"));
}

TEST_CASE("the same config and seed give bit-identical trajectories whatever --jobs is", "[cli][determinism]") {
  test::TempDir dir;
  test::write_file(dir.file("s.yaml"),
                   "suite: det\ntask: matrix_sensing\ndefaults: {steps: 300}\n"
                   "sweep: {grid: {k: [2, 30], optimizer: [gd, scaledgd]}, seeds: 2}\n");
  auto one = bench_run({dir.file("s.yaml"), "--jobs", "1", "--out", dir.file("j1.h5")});
  auto two = bench_run({dir.file("s.yaml"), "--jobs", "2", "--out", dir.file("j2.h5")});
  REQUIRE(one.exit_code == 0);
  REQUIRE(two.exit_code == 0);
  auto a = read_results(dir.file("j1.h5")), b = read_results(dir.file("j2.h5"));
  REQUIRE(a.runs.size() == 8);
  test::require_same_runs(a, b);
  CHECK(std::get<int64_t>(a.root.at("jobs")) == 1);
  CHECK(std::get<int64_t>(b.root.at("jobs")) == 2);
}

TEST_CASE("a failing, diverging or crashing run ends itself, not the sweep", "[cli]") {
  test::TempDir dir;
  test::write_file(dir.file("s.yaml"),
                   "suite: faults\ntask: selftest\ndefaults: {steps: 50}\nlog_every: 5\n"
                   "sweep:\n  points:\n    - {name: fails, fail_at: 20}\n    - {name: diverges, nan_at: 31}\n"
                   "    - {name: crashes, crash_at: 30, sleep_ms: 50}\n    - {name: fine}\n");
  auto r = bench_run({dir.file("s.yaml"), "--jobs", "2", "--out", dir.file("o.h5")});
  CHECK(r.exit_code == 1);  // a run failed
  auto f = read_results(dir.file("o.h5"));
  REQUIRE(f.runs.size() == 4);
  CHECK(f.root_string("status") == "complete");

  const auto& fails = f.runs[0];
  CHECK(fails.status == RunStatus::Failed);
  CHECK(fails.error == "selftest: failing at step 20 as asked");
  CHECK(fails.last_good_step == 15);
  CHECK(fails.steps == std::vector<int64_t>{0, 5, 10, 15});

  const auto& diverges = f.runs[1];
  CHECK(diverges.status == RunStatus::Diverged);
  CHECK(diverges.error == "metric 'loss' is nan at step 35");
  CHECK(diverges.last_good_step == 30);
  REQUIRE(diverges.steps.back() == 35);  // the row that diverged is kept
  CHECK(std::isnan(diverges.metrics.at("loss").back()));

  const auto& crashes = f.runs[2];
  CHECK(crashes.status == RunStatus::Failed);
  CHECK_THAT(crashes.error, Catch::StartsWith("worker killed by signal 6 (Aborted)"));
  // The worker flushes every second, so most of a crashed run's trajectory survives.
  REQUIRE_FALSE(crashes.steps.empty());
  CHECK(crashes.steps.back() < 30);
  CHECK(crashes.last_good_step == crashes.steps.back());

  CHECK(f.runs[3].status == RunStatus::Ok);
  CHECK(f.runs[3].steps.back() == 50);
  CHECK_THAT(r.err, Catch::Contains("failing at step 20") && Catch::Contains("1 ok, 2 failed, 1 diverged"));
}

TEST_CASE("bench-run stores --seeds and --sweep with the file and --resume replans with them", "[cli][resume]") {
  test::TempDir dir;
  auto suite = dir.file("s.yaml");
  test::write_file(suite, "suite: s\ntask: selftest\ndefaults: {steps: 5}\nsweep: {grid: {steps: [5, 6]}}\n");
  auto out = dir.file("o.h5");
  auto r = bench_run({suite, "--seeds", "2-4", "--sweep", "step_std=0.5,2", "--sweep", "steps=7", "--out", out});
  REQUIRE(r.exit_code == 0);
  auto file = read_results(out);
  CHECK(file.root_string("seeds") == "2-4");
  CHECK(file.root_string("sweeps") == "step_std=0.5,2\nsteps=7");
  REQUIRE(file.runs.size() == 3 * 2);  // steps replaced by [7], step_std added, seeds 2, 3, 4
  CHECK(file.runs[0].point == "steps=7 step_std=0.5");
  CHECK(file.runs[0].seed == 2);
  CHECK(file.runs.back().seed == 4);
  auto resumed = bench_run({"--resume", out});  // the stored plan must be what the stored options expand to
  CAPTURE(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(bench_run({"--resume", out, "--seeds", "1"}).exit_code == 2);  // --resume takes everything from the file
}

TEST_CASE("kill -9 mid-sweep, then --resume, gives the uninterrupted file", "[cli][resume]") {
  test::TempDir dir;
  auto suite = dir.file("s.yaml");
  test::write_file(suite, kSlowSuite);
  auto full = bench_run({suite, "--jobs", "2", "--out", dir.file("full.h5")});
  REQUIRE(full.exit_code == 0);

  auto path = dir.file("killed.h5");
  pid_t pid = test::bench_run_async({suite, "--jobs", "2", "--out", path}, dir.path());
  wait_for_runs(path, 2);
  kill(-pid, SIGKILL);  // bench-run and its workers, as a power cut would
  CHECK(test::wait_exit(pid) == 128 + SIGKILL);

  auto partial = read_results(path);
  CAPTURE(partial.runs.size());
  REQUIRE(partial.runs.size() >= 2);
  REQUIRE(partial.runs.size() < 8);
  CHECK(partial.root_string("status") == "running");
  CHECK(partial.missing().size() == 8 - partial.runs.size());

  auto resumed = bench_run({"--resume", path, "--jobs", "2"});
  CAPTURE(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("(" + std::to_string(partial.runs.size()) + " already done)"));
  auto a = read_results(dir.file("full.h5")), b = read_results(path);
  CHECK(b.root_string("status") == "complete");
  CHECK(std::get<int64_t>(b.root.at("resume_count")) == 1);
  REQUIRE(b.plan.size() == a.plan.size());
  for (size_t i = 0; i < a.plan.size(); ++i) CHECK(a.plan[i].id == b.plan[i].id);
  test::require_same_runs(a, b);
}

TEST_CASE("resuming a finished file runs nothing and leaves its runs as they were", "[cli][resume]") {
  // With a detector, so the suite summaries are recomputed from the file the
  // resume has open (this once failed: HDF5 would not open it a second time).
  test::TempDir dir;
  test::write_file(dir.file("s.yaml"), "suite: done\ntask: selftest\ndetector: double_descent\n"
                                       "defaults: {steps: 20}\nsweep: {seeds: 2}\nlog_every: 5\n");
  auto path = dir.file("o.h5");
  REQUIRE(bench_run({dir.file("s.yaml"), "--jobs", "1", "--out", path}).exit_code == 0);
  auto before = read_results(path);
  auto resumed = bench_run({"--resume", path});
  CAPTURE(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("0 runs (2 already done)") || Catch::Contains("(2 already done)"));
  auto after = read_results(path);
  CHECK(after.root_string("status") == "complete");
  CHECK(std::get<int64_t>(after.root.at("resume_count")) == 1);
  test::require_same_runs(before, after);
}

TEST_CASE("Ctrl-C stops cleanly, keeps finished runs and says how to resume", "[cli][resume]") {
  test::TempDir dir;
  auto suite = dir.file("s.yaml");
  test::write_file(suite, kSlowSuite);
  auto path = dir.file("int.h5");
  pid_t pid = test::bench_run_async({suite, "--jobs", "2", "--out", path}, dir.path());
  wait_for_runs(path, 1);
  kill(-pid, SIGINT);  // the terminal sends it to the whole process group
  CHECK(test::wait_exit(pid) == 130);
  auto err = test::read_file(dir.file("err"));
  CHECK_THAT(err, Catch::Contains("interrupted; finish with: bench-run --resume " + path));
  auto f = read_results(path);
  CHECK(f.root_string("status") == "interrupted");
  REQUIRE(f.runs.size() >= 1);
  REQUIRE(f.runs.size() < 8);
  for (const auto& r : f.runs) CHECK(r.status == RunStatus::Ok);  // an interrupted run is not a finished one

  auto resumed = bench_run({"--resume", path});
  REQUIRE(resumed.exit_code == 0);
  CHECK(read_results(path).runs.size() == 8);
}

TEST_CASE("finished runs are never replaced silently: an existing --out is refused, --force replaces it", "[cli]") {
  test::TempDir dir;
  test::write_file(dir.file("a.yaml"), "suite: a\ntask: selftest\ndefaults: {steps: 10}\nsweep: {seeds: 3}\n");
  test::write_file(dir.file("b.yaml"), "suite: b\ntask: selftest\ndefaults: {steps: 10}\nsweep: {seeds: 1}\n");
  auto path = dir.file("o.h5");
  REQUIRE(bench_run({dir.file("a.yaml"), "--out", path}).exit_code == 0);
  for (const auto& suite : {"a.yaml", "b.yaml"}) {  // the same command again, or another sweep's
    CAPTURE(suite);
    auto again = bench_run({dir.file(suite), "--out", path});
    CHECK(again.exit_code == 2);
    CHECK(again.err == "bench-run: " + path + " exists; finish it with: bench-run --resume " + path +
                           ", or replace it with --force\n");
    CHECK(read_results(path).runs.size() == 3);
  }
  REQUIRE(bench_run({dir.file("b.yaml"), "--out", path, "--force"}).exit_code == 0);
  auto replaced = read_results(path);
  CHECK(replaced.root_string("suite") == "b");
  CHECK(replaced.runs.size() == 1);
}

TEST_CASE("a second bench-run on a file being written exits 2 at once, and the first loses nothing", "[cli]") {
  test::TempDir dir;
  auto suite = dir.file("s.yaml");  // 8 runs of 1.2 s, one at a time: still going while the others try
  test::write_file(suite, "suite: slow\ntask: selftest\ndefaults: {steps: 60, sleep_ms: 20}\nsweep: {seeds: 8}\n");
  test::write_file(dir.file("other.yaml"), "suite: other\ntask: selftest\nsweep: {seeds: 2}\n");
  auto path = dir.file("o.h5");
  pid_t pid = test::bench_run_async({suite, "--jobs", "1", "--out", path}, dir.path());
  wait_for_runs(path, 1);
  const auto holder = path + " is being written by bench-run (pid " + std::to_string(pid) + " on ";
  auto second = bench_run({dir.file("other.yaml"), "--out", path, "--force"});
  CHECK(second.exit_code == 2);
  CHECK_THAT(second.err, Catch::StartsWith("bench-run: " + holder));
  auto resume = bench_run({"--resume", path});
  CHECK(resume.exit_code == 2);
  CHECK_THAT(resume.err, Catch::StartsWith("bench-run: " + holder));
  REQUIRE(test::wait_exit(pid) == 0);
  auto f = read_results(path);
  CHECK(f.root_string("suite") == "slow");
  CHECK(f.root_string("status") == "complete");
  CHECK(f.runs.size() == 8);
}

TEST_CASE("SIGTERM and SIGHUP stop like Ctrl-C, exiting 128 + the signal", "[cli][resume]") {
  auto sig = GENERATE(SIGTERM, SIGHUP);
  CAPTURE(sig);
  test::TempDir dir;
  auto suite = dir.file("s.yaml");
  test::write_file(suite, kSlowSuite);
  auto path = dir.file("o.h5");
  pid_t pid = test::bench_run_async({suite, "--jobs", "2", "--out", path}, dir.path());
  wait_for_runs(path, 1);
  kill(pid, sig);  // bench-run alone, as a batch system or a closed terminal sends it
  CHECK(test::wait_exit(pid) == 128 + sig);
  auto f = read_results(path);
  CHECK(f.root_string("status") == "interrupted");
  CHECK_FALSE(f.runs.empty());
  CHECK_THAT(test::read_file(dir.file("err")), Catch::Contains("finish with: bench-run --resume " + path));
}

TEST_CASE("workers die with bench-run, even when it is killed with -9", "[cli]") {
  test::TempDir dir;
  auto suite = dir.file("s.yaml");
  test::write_file(suite, "suite: long\ntask: selftest\ndefaults: {steps: 200, sleep_ms: 50}\nsweep: {seeds: 4}\n");
  auto path = dir.file("o.h5");
  pid_t pid = test::bench_run_async({suite, "--jobs", "2", "--out", path}, dir.path());
  std::vector<pid_t> workers;
  for (int i = 0; i < 200 && workers.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    workers.clear();
    std::istringstream children(test::read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
    for (pid_t w; children >> w;) workers.push_back(w);
  }
  REQUIRE(workers.size() == 2);
  kill(pid, SIGKILL);  // the parent alone: its workers are 10 s into their runs
  CHECK(test::wait_exit(pid) == 128 + SIGKILL);
  auto alive = [](pid_t w) {  // a zombie waiting for init counts as gone
    auto stat = test::read_file("/proc/" + std::to_string(w) + "/stat");
    return !stat.empty() && stat.find(") Z") == std::string::npos;
  };
  for (int i = 0; i < 50 && (alive(workers[0]) || alive(workers[1])); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(alive(workers[0]));
  CHECK_FALSE(alive(workers[1]));
}

TEST_CASE("a full disk stops the sweep with a clear error and keeps what was committed", "[cli]") {
  // Each run's segment fits under the limit; folding 64 of them into the file does not.
  test::TempDir dir;
  test::write_file(dir.file("s.yaml"),
                   "suite: big\ntask: selftest\ndefaults: {steps: 4000}\nlog_every: 1\nsweep: {seeds: 80}\n");
  auto path = dir.file("o.h5");
  test::RunOptions limited;
  limited.max_file_bytes = 1024 * 1024;
  auto r = bench_run({dir.file("s.yaml"), "--jobs", "1", "--out", path}, limited);
  CAPTURE(r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("bench-run: " + path + ": cannot write " + path + ".tmp: File too large "
                                    "(every committed run is intact)"));
  auto f = read_results(path);
  CHECK(f.runs.size() >= 64);
  CHECK(f.runs.size() < 80);
  for (const auto& run : f.runs) CHECK(run.steps.size() == 4001);
}

TEST_CASE("runs in progress are checkpointed into the file", "[cli]") {
  test::TempDir dir;
  test::write_file(dir.file("s.yaml"), "suite: long\ntask: selftest\ndefaults: {steps: 100, sleep_ms: 20}\nlog_every: 5\n");
  auto path = dir.file("o.h5");
  pid_t pid = test::bench_run_async({dir.file("s.yaml"), "--checkpoint", "0.2", "--out", path}, dir.path());
  std::vector<RunRecord> seen;
  for (int i = 0; i < 100 && seen.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (test::exists(path)) seen = read_results(path).partial;
  }
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].status == RunStatus::Running);
  CHECK_FALSE(seen[0].steps.empty());
  CHECK(seen[0].steps.back() < 100);
  REQUIRE(test::wait_exit(pid) == 0);
  auto f = read_results(path);
  CHECK(f.partial.empty());
  REQUIRE(f.runs.size() == 1);
  CHECK(f.runs[0].steps.back() == 100);
  // what the checkpoint held is a prefix of the finished trajectory
  for (size_t i = 0; i < seen[0].steps.size(); ++i) CHECK(seen[0].metrics.at("loss")[i] == f.runs[0].metrics.at("loss")[i]);
}

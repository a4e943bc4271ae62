// The scheduler against workers that misbehave: real processes (shell
// scripts standing in for `bench-run --worker`) that crash, exit early,
// write garbage, hang, or ignore SIGTERM. Each ends its run `failed` with a reason
// a user can act on, and the sweep goes on with the next run.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <csignal>

#include "harness/progress.h"
#include "harness/scheduler.h"
#include "harness/worker.h"
#include "support.h"

using namespace genbench;

namespace {

std::vector<RunRecord> run_with_worker(const std::string& script, size_t runs = 2, SchedulerOptions options = {}) {
  test::TempDir dir;
  auto exe = dir.file("worker.sh");
  test::write_file(exe, "#!/bin/sh\n" + script + "\n");
  chmod(exe.c_str(), 0755);
  auto specs = expand(parse_suite("suite: s\ntask: selftest\nsweep: {seeds: " + std::to_string(runs) + "}\n", "s.yaml"), {});
  signal(SIGPIPE, SIG_IGN);  // as bench-run does: a spec written to a dead worker is an error, not a signal
  options.worker_exe = exe;
  std::vector<RunRecord> finished;
  SweepCallbacks callbacks;
  callbacks.finished = [&](RunRecord&& r) { finished.push_back(std::move(r)); };
  Progress progress(specs.size(), false);
  REQUIRE(run_all(specs, options, callbacks, progress));
  return finished;
}

}  // namespace

TEST_CASE("a worker that crashes fails its run with the signal, and the next run still runs", "[scheduler]") {
  auto runs = run_with_worker("kill -SEGV $$");
  REQUIRE(runs.size() == 2);
  for (const auto& r : runs) {
    CHECK(r.status == RunStatus::Failed);
    CHECK(r.error == "worker killed by signal 11 (Segmentation fault)");
  }
}

TEST_CASE("a worker that exits early fails its run with its code and its last words", "[scheduler]") {
  auto runs = run_with_worker("echo 'cannot load libtorch' >&2; exit 3", 1);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == RunStatus::Failed);
  CHECK(runs[0].error == "worker exited with code 3 without finishing the run; its last output: cannot load libtorch");
}

TEST_CASE("a worker that writes garbage is stopped and its run fails as bad output", "[scheduler]") {
  // 'X' is no message type; the eight bytes after it read as the member and the frame's size.
  auto runs = run_with_worker("printf 'X\\000\\000\\000\\000\\000\\000\\000\\000'; exec sleep 30", 1);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == RunStatus::Failed);
  CHECK(runs[0].error == "bad output from worker: worker sent an unknown message type 88");
}

TEST_CASE("a worker that hangs is killed at the run timeout, fails its run, and the sweep goes on", "[scheduler]") {
  SchedulerOptions options;
  options.run_timeout_s = 0.5;
  auto runs = run_with_worker("exec sleep 60", 2, options);
  REQUIRE(runs.size() == 2);  // without the timeout run_all would wait for the sleep
  for (const auto& r : runs) {
    CHECK(r.status == RunStatus::Failed);
    CHECK(r.error == "timed out: still running after 0.5 s (--run-timeout)");
  }
}

TEST_CASE("after a stop, a worker that ignores SIGTERM is killed once the grace period is over", "[scheduler]") {
  // Two workers side by side: the first exits at once, which fails its run, and the
  // callback aborts the sweep (as a full disk does); the second ignores SIGTERM and
  // would sleep 2 s, then leave a mark. Killed after the 0.2 s grace, it leaves none.
  test::TempDir dir;
  const auto mark = dir.file("slept"), first = dir.file("first"), ready = dir.file("ready");
  auto exe = dir.file("worker.sh");
  // The first waits until the second ignores SIGTERM, so the stop cannot reach it earlier.
  test::write_file(exe, "#!/bin/sh\nif mkdir '" + first + "' 2>/dev/null; then\n"
                        "  while [ ! -e '" + ready + "' ]; do sleep 0.05; done; exit 3\nfi\n"
                        "trap '' TERM\ntouch '" + ready + "'\nsleep 2 </dev/null >/dev/null 2>&1\ntouch '" + mark + "'\n");
  chmod(exe.c_str(), 0755);
  auto specs = expand(parse_suite("suite: s\ntask: selftest\nsweep: {seeds: 2}\n", "s.yaml"), {});
  signal(SIGPIPE, SIG_IGN);
  SchedulerOptions options;
  options.jobs = 2;
  options.worker_exe = exe;
  options.stop_grace_s = 0.2;
  SweepCallbacks callbacks;
  callbacks.finished = [&](RunRecord&&) { throw std::runtime_error("disk full"); };
  Progress progress(specs.size(), false);
  REQUIRE_THROWS_WITH(run_all(specs, options, callbacks, progress), "disk full");
  sleep(3);  // past the sleep the second worker would have finished
  CHECK_FALSE(test::exists(mark));
}

TEST_CASE("runs start coarse to fine over the points, each point's seeds together", "[scheduler][eta]") {
  auto suite = parse_suite("suite: s\ntask: selftest\nsweep: {grid: {steps: [1, 2, 3, 4, 5]}, seeds: 2}\n", "s.yaml");
  auto order = execution_order(expand(suite, {}));
  std::vector<std::string> seen;
  for (const auto& r : order) seen.push_back(r.point + " " + std::to_string(r.seed));
  CHECK(seen == std::vector<std::string>{"steps=1 0", "steps=1 1", "steps=5 0", "steps=5 1", "steps=3 0", "steps=3 1",
                                         "steps=2 0", "steps=2 1", "steps=4 0", "steps=4 1"});
}

TEST_CASE("the cost model learns how a run's cost grows with what the sweep varies", "[eta]") {
  auto suite = parse_suite("suite: s\ntask: selftest\nsweep: {grid: {steps: [10, 20, 40, 100, 1000]}, seeds: 1}\n", "s.yaml");
  auto plan = expand(suite, {});
  CostModel model(plan);
  CHECK(model.features() == std::vector<std::string>{"steps"});  // what does not vary is no feature
  CHECK_FALSE(model.predict(plan[0].params));                   // nothing finished: no guess
  for (int i = 0; i < 3; ++i) model.observe(plan[static_cast<size_t>(i)].params, 0.01 * plan[static_cast<size_t>(i)].params.get_int("steps"));
  // seen: 10, 20, 40 steps; asked: 1000. A mean over the finished runs would say 0.23 s.
  auto at_1000 = model.predict(plan[4].params);
  REQUIRE(at_1000);
  CAPTURE(*at_1000);
  CHECK(*at_1000 > 5);
  CHECK(*at_1000 < 11);
}

TEST_CASE("each log line of a sweep off a terminal carries the ETA of the runs left", "[eta]") {
  test::TempDir dir;
  auto path = dir.file("progress.txt");
  std::FILE* out = std::fopen(path.c_str(), "w");
  REQUIRE(out);
  auto plan = expand(parse_suite("suite: s\ntask: selftest\nsweep: {seeds: 3}\n", "s.yaml"), {});
  {
    Progress progress(plan.size(), false, out);
    progress.plan(plan, 1, [](const RunSpec&) { return int64_t{100}; });
    for (size_t i = 0; i < 2; ++i) {
      progress.started(plan[i]);
      progress.stepped(plan[i], 50);
      RunRecord r;
      r.id = plan[i].id, r.index = plan[i].index, r.params = plan[i].params, r.status = RunStatus::Ok;
      progress.finished(r);
    }
    CHECK(progress.eta_seconds());  // one run left
    progress.done();
  }
  std::fclose(out);
  auto text = test::read_file(path);
  CHECK_THAT(text, Catch::Contains("[1/3] ok") && Catch::Contains("ETA 0:00"));
}

TEST_CASE("a stacked sweep stores every member as its own run, the same as unstacked, a masked member included",
          "[scheduler][stack][cli]") {
  test::TempDir dir;
  test::write_file(dir.file("s.yaml"),
                   "suite: s\ntask: selftest\ndefaults: {steps: 20, stackable: true}\nsweep:\n  points:\n"
                   "    - {name: fine}\n    - {name: diverges, nan_at: 7}\n    - {name: fails, fail_at: 5}\n"
                   "    - {name: wider, step_std: 2.0}\n  seeds: [0, 1]\n");
  auto off = test::bench_run({dir.file("s.yaml"), "--jobs", "1", "--stack", "off", "--out", dir.file("off.h5")});
  auto on = test::bench_run({dir.file("s.yaml"), "--jobs", "1", "--stack", "auto", "--out", dir.file("on.h5")});
  CAPTURE(off.err, on.err);
  REQUIRE(off.exit_code == on.exit_code);
  auto a = read_results(dir.file("off.h5")), b = read_results(dir.file("on.h5"));
  REQUIRE(b.runs.size() == 8);
  test::require_same_runs(a, b);
  for (const auto& run : b.runs) {
    CAPTURE(run.point);
    if (run.point == "diverges") CHECK(run.status == RunStatus::Diverged);
    else if (run.point == "fails") CHECK(run.status == RunStatus::Failed);
    else CHECK(run.status == RunStatus::Ok);
  }
}

TEST_CASE("bench-run reads --stack as auto, off or a number", "[scheduler][stack][cli]") {
  test::TempDir dir;
  test::write_file(dir.file("s.yaml"), "suite: s\ntask: selftest\ndefaults: {steps: 2}\n");
  auto r = test::bench_run({dir.file("s.yaml"), "--stack", "many", "--out", dir.file("o.h5")});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--stack: expected auto, off or a number of runs >= 1, found 'many'") != std::string::npos);
}

TEST_CASE("workers spread over the GPUs of a machine, each new one on the device the fewest hold",
          "[scheduler][device]") {
  using Devices = std::vector<std::string>;
  SECTION("cuda and auto name every GPU; cuda:N, one GPU or the CPU, one device") {
    CHECK(spread_devices("cuda", "cuda:0", 3) == Devices{"cuda:0", "cuda:1", "cuda:2"});
    CHECK(spread_devices("auto", "cuda:0", 2) == Devices{"cuda:0", "cuda:1"});
    CHECK(spread_devices("cuda:1", "cuda:1", 3) == Devices{"cuda:1"});
    CHECK(spread_devices("cuda", "cuda:0", 1) == Devices{"cuda:0"});
    CHECK(spread_devices("auto", "cpu", 0) == Devices{"cpu"});
    CHECK(spread_devices("cpu", "cpu", 4) == Devices{"cpu"});
  }
  SECTION("the next worker goes where the fewest live workers are, the first of a tie") {
    const Devices gpus{"cuda:0", "cuda:1", "cuda:2"};
    CHECK(least_held(gpus, {}) == "cuda:0");
    CHECK(least_held(gpus, {"cuda:0"}) == "cuda:1");
    CHECK(least_held(gpus, {"cuda:0", "cuda:1", "cuda:2", "cuda:0"}) == "cuda:1");
    CHECK(least_held(gpus, {"cuda:1", "cuda:2"}) == "cuda:0");  // cuda:0's worker died: its successor goes there
    CHECK(least_held({"cpu"}, {"cpu", "cpu"}) == "cpu");
  }
  SECTION("each run is given its worker's device") {
    SchedulerOptions options;
    options.jobs = 3;
    options.devices = {"cuda:0", "cuda:1"};
    auto runs = run_with_worker("kill -SEGV $$", 3, options);  // the worker never reads it: the record is the scheduler's
    REQUIRE(runs.size() == 3);
    Devices devices;
    for (const auto& r : runs) devices.push_back(r.device);
    std::sort(devices.begin(), devices.end());
    CHECK(devices == Devices{"cuda:0", "cuda:0", "cuda:1"});
  }
}

// The scheduler against workers that misbehave: real processes (shell
// scripts standing in for `bench-run --worker`) that crash, exit early,
// write garbage or print to stderr. Each ends its run `failed` with a reason
// a user can act on, and the sweep goes on with the next run.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <csignal>

#include "harness/progress.h"
#include "harness/scheduler.h"
#include "support.h"

using namespace genbench;

namespace {

std::vector<RunRecord> run_with_worker(const std::string& script, size_t runs = 2) {
  test::TempDir dir;
  auto exe = dir.file("worker.sh");
  test::write_file(exe, "#!/bin/sh\n" + script + "\n");
  chmod(exe.c_str(), 0755);
  auto specs = expand(parse_suite("suite: s\ntask: selftest\nsweep: {seeds: " + std::to_string(runs) + "}\n", "s.yaml"), {});
  signal(SIGPIPE, SIG_IGN);  // as bench-run does: a spec written to a dead worker is an error, not a signal
  SchedulerOptions options;
  options.jobs = 1;
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
  // 'X' is no message type; the four bytes after it read as the frame's size.
  auto runs = run_with_worker("printf 'X\\000\\000\\000\\000'; exec sleep 30", 1);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == RunStatus::Failed);
  CHECK(runs[0].error == "bad output from worker: worker sent an unknown message type 88");
}

// The frozen manifest of a Slurm sweep, without a cluster: it reads back as
// written, a shard runs only from it (bench-run --manifest) and refuses a plan
// it does not expand to, reruns resume, and arrays are cut at MaxArraySize.
// tests/slurm/slurm_test.py runs the same on a real slurmctld.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "harness/manifest.h"
#include "harness/slurm.h"
#include "harness/suite_file.h"
#include "harness/sweep.h"
#include "support.h"

using namespace genbench;

namespace {

const char* kSuite =
    "suite: frozen\ntask: selftest\n"
    "defaults: {steps: 30}\nsweep: {grid: {step_std: [0.5, 1, 2]}, seeds: 2}\nlog_every: 5\n";

// A manifest of kSuite (6 runs; with --seeds / --sweep given, more) in 3
// shards, written into `dir`.
Manifest write_frozen(const test::TempDir& dir, const std::vector<std::string>& sets = {}, const std::string& seeds = "",
                      const std::vector<std::string>& sweeps = {}) {
  auto suite = parse_suite(kSuite, dir.file("frozen.yaml"));
  ExpandOptions options{"", sets, {}};
  options.seeds = seeds;
  options.sweeps = sweeps;
  auto m = manifest_of(expand(suite, options));
  m.dir = dir.file("sweep");
  m.seeds = options.seeds;
  m.sweeps = options.sweeps;
  m.suite = suite.suite;
  m.suite_file = suite.file;
  m.suite_text = suite.text;
  m.sets = sets;
  m.shards = 3;
  m.throttle = 2;
  m.sbatch_args = {"--partition=debug", "--time=10"};
  m.bench_run = "/opt/genbench/bench-run";
  m.git_commit = "abc123";
  write_manifest(m);
  return m;
}

}  // namespace

TEST_CASE("a manifest reads back as it was written, and is never replaced", "[slurm][manifest]") {
  test::TempDir dir;
  auto written = write_frozen(dir, {}, "4-5", {"steps=30,40"});
  auto m = read_manifest(written.dir);
  CHECK(m.suite == "frozen");
  CHECK(m.suite_text == kSuite);
  CHECK(m.shards == 3);
  CHECK(m.throttle == 2);
  CHECK(m.max_requeues == 3);
  CHECK(m.sbatch_args == written.sbatch_args);
  CHECK(m.bench_run == "/opt/genbench/bench-run");
  CHECK(m.seeds == "4-5");
  CHECK(m.sweeps == std::vector<std::string>{"steps=30,40"});
  REQUIRE(m.runs.size() == 12);
  CHECK(m.runs[0].seed == 4);
  for (size_t i = 0; i < m.runs.size(); ++i) {
    CAPTURE(i);
    CHECK(m.runs[i].id == written.runs[i].id);
    CHECK(m.runs[i].seed == written.runs[i].seed);
    CHECK(m.runs[i].point == written.runs[i].point);
    CHECK(m.runs[i].config == written.runs[i].config);
  }
  CHECK(m.runs[0].config.find("step_std: 0.5") != std::string::npos);
  REQUIRE_THROWS_WITH(write_manifest(written), Catch::Contains(written.path() + " exists"));
}

TEST_CASE("shards cut the plan into contiguous slices that cover it once", "[slurm][manifest]") {
  Manifest m;
  m.runs.resize(10);
  for (int64_t shards : {1, 3, 4, 10}) {
    CAPTURE(shards);
    m.shards = shards;
    size_t next = 0;
    for (int64_t i = 0; i < shards; ++i) {
      auto [first, last] = m.shard_range(i);
      CHECK(first == next);
      CHECK(last > first);
      next = last;
    }
    CHECK(next == 10);
  }
}

TEST_CASE("job arrays are cut at the cluster's MaxArraySize, each piece with its offset", "[slurm]") {
  std::vector<int64_t> shards;
  for (int64_t i = 0; i < 2500; ++i) shards.push_back(i);
  auto specs = array_specs(shards, 1001, 4);
  REQUIRE(specs.size() == 3);
  CHECK(specs[0] == std::pair<int64_t, std::string>{0, "0-1000%4"});
  CHECK(specs[1] == std::pair<int64_t, std::string>{1001, "0-1000%4"});
  CHECK(specs[2] == std::pair<int64_t, std::string>{2002, "0-497%4"});
  SECTION("a resubmission of scattered shards") {
    auto again = array_specs({3, 4, 5, 9, 1500}, 1001, 0);
    REQUIRE(again.size() == 2);
    CHECK(again[0] == std::pair<int64_t, std::string>{0, "3-5,9"});
    CHECK(again[1] == std::pair<int64_t, std::string>{1001, "499"});
  }
}

TEST_CASE("a broken manifest is refused with the file, line and key", "[slurm][manifest]") {
  test::TempDir dir;
  auto m = write_frozen(dir);
  auto text = test::read_file(m.path());
  struct Case {
    std::string from, to, message;
  };
  auto c = GENERATE(Case{"genbench_manifest: 1", "genbench_manifest: 7", "genbench_manifest: version 7, this bench-run reads 1"},
                    Case{"shards: 3", "shards: many", "shards: expected int, found string 'many'"},
                    Case{"shards: 3", "shards: 9", "shards: 9 shards for 6 runs"},
                    Case{"  - index: 1", "  - index: 5", "runs.index: expected 1, found 5"},
                    Case{"bench_run: /opt/genbench/bench-run\n", "", "bench_run: missing"});
  CAPTURE(c.from, c.to);
  auto at = text.find(c.from);
  REQUIRE(at != std::string::npos);
  test::write_file(m.path(), text.substr(0, at) + c.to + text.substr(at + c.from.size()));
  REQUIRE_THROWS_WITH(read_manifest(m.dir), Catch::StartsWith(m.path() + ":") && Catch::Contains(c.message));
}

TEST_CASE("a shard runs its slice from the manifest alone, and a rerun resumes it", "[slurm][cli]") {
  test::TempDir dir;
  auto m = write_frozen(dir);  // the suite file itself was never written: shards need only the manifest
  auto r = test::bench_run({"--manifest", m.dir, "--shard", "1/3", "--jobs", "2"});
  REQUIRE(r.exit_code == 0);
  auto file = read_results(m.shard_file(1));
  REQUIRE(file.runs.size() == 2);
  CHECK(file.runs[0].id == m.runs[2].id);
  CHECK(file.runs[1].id == m.runs[3].id);
  CHECK(file.plan.size() == 6);
  CHECK(file.root_string("shard") == "1/3");

  r = test::bench_run({"--manifest", m.dir, "--shard", "1/3"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("2 runs (2 already done)") != std::string::npos);
  CHECK(read_results(m.shard_file(1)).runs.size() == 2);

  SECTION("the shard comes from Slurm's array task id when --shard is not given") {
    setenv("SLURM_ARRAY_TASK_ID", "2", 1);
    auto r2 = test::bench_run({"--manifest", m.dir});
    unsetenv("SLURM_ARRAY_TASK_ID");
    REQUIRE(r2.exit_code == 0);
    CHECK(read_results(m.shard_file(2)).runs.back().id == m.runs[5].id);
  }
  SECTION("a shard count the manifest does not have is refused") {
    auto bad = test::bench_run({"--manifest", m.dir, "--shard", "1/4"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err == "bench-run: --shard 1/4: " + m.path() + " cuts the plan into 3 shards, not 4\n");
  }
}

TEST_CASE("a shard refuses to run a plan other than the frozen one", "[slurm][cli]") {
  test::TempDir dir;
  auto m = write_frozen(dir);
  auto other = manifest_of(expand(parse_suite(kSuite, "x.yaml"), {"", {"steps=31"}, {}}));
  REQUIRE_THROWS_WITH(check_frozen_plan(m, {}), Catch::Contains("0 runs expanded, 6 frozen"));
  // the stored text edited under the shards: its runs are other runs
  auto text = test::read_file(m.path());
  auto at = text.find("steps: 30");
  REQUIRE(at != std::string::npos);
  test::write_file(m.path(), text.substr(0, at) + "steps: 31" + text.substr(at + 9));
  auto r = test::bench_run({"--manifest", m.dir, "--shard", "0/3"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(m.path() + ": run 0 expands to " + other.runs[0].id + ", frozen as " + m.runs[0].id) == 0);
  CHECK_FALSE(test::exists(m.shard_file(0)));
}

// bench-merge on real files: the shards of a sweep (bench-run --shard) join
// into the file one process writes; missing runs are listed; every file that
// does not belong, and a run whose copies differ, is refused with one line.
#include <catch2/catch.hpp>
#include <filesystem>

#include "results/store.h"
#include "support.h"

using namespace genbench;

namespace {

// Eight runs with a detector, so per-run and suite summaries are part of the file.
const char* kSuite =
    "suite: merged\ntask: selftest\ndetector: double_descent\n"
    "defaults: {steps: 60}\nsweep: {grid: {step_std: [0.5, 1, 2, 4]}, seeds: 2}\nlog_every: 5\n";

struct Shards {
  test::TempDir dir;
  std::string suite = dir.file("s.yaml"), single = dir.file("single.h5");
  std::vector<std::string> files;
  Shards() {
    test::write_file(suite, kSuite);
    REQUIRE(test::bench_run({suite, "--jobs", "2", "--out", single}).exit_code == 0);
    for (int i = 0; i < 4; ++i) {
      files.push_back(dir.file("shard" + std::to_string(i) + ".h5"));
      auto r = test::bench_run({suite, "--shard", std::to_string(i) + "/4", "--jobs", "2", "--out", files.back()});
      REQUIRE(r.exit_code == 0);
    }
  }
};

// Built once for every test below: they only read these files.
const Shards& shards() {
  static const Shards built;
  return built;
}

}  // namespace

TEST_CASE("bench-merge joins the shards of a sweep into the file one process writes, run for run", "[merge]") {
  const auto& s = shards();
  test::TempDir work;
  CHECK(read_results(s.files[1]).runs.size() == 2);  // each shard ran its quarter of the plan
  CHECK(read_results(s.files[1]).plan.size() == 8);  // and keeps the whole plan
  auto out = work.file("merged.h5");
  std::vector<std::string> args{out};
  args.insert(args.end(), s.files.begin(), s.files.end());
  auto r = test::bench_merge(args);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "bench-merge: " + out + ": 8 runs from 4 files (0 identical duplicates taken once), 0 missing\n");
  auto merged = read_results(out), single = read_results(s.single);
  test::require_same_runs(single, merged);
  CHECK(merged.summaries == single.summaries);  // the suite's summaries, computed again over every run
  CHECK(merged.root_string("status") == "complete");
  CHECK(merged.root_string("merged_from") == s.files[0] + "\n" + s.files[1] + "\n" + s.files[2] + "\n" + s.files[3]);
  CHECK(test::bench_compare({s.single, out}).exit_code == 0);

  SECTION("identical copies of a run are taken once") {
    std::filesystem::copy_file(s.files[2], work.file("copy.h5"));
    auto again = test::bench_merge({work.file("again.h5"), s.files[0], s.files[1], s.files[2], work.file("copy.h5"), s.files[3]});
    REQUIRE(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("8 runs from 5 files (2 identical duplicates taken once)"));
    test::require_same_runs(single, read_results(work.file("again.h5")));
  }
  SECTION("runs in no input are listed, exit 1, and --resume finishes the merged file") {
    auto partial = work.file("partial.h5");
    auto three = test::bench_merge({partial, s.files[0], s.files[1], s.files[3]});
    CHECK(three.exit_code == 1);
    CHECK_THAT(three.out, Catch::Contains("6 runs from 3 files") && Catch::Contains(", 2 missing\n") &&
                              Catch::Contains("  missing: " + single.plan[4].id));
    CHECK(read_results(partial).root_string("status") == "interrupted");
    auto resumed = test::bench_run({"--resume", partial});
    CAPTURE(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    test::require_same_runs(single, read_results(partial));
  }
}

TEST_CASE("bench-merge refuses what does not belong with one line naming the file, and writes nothing", "[merge]") {
  const auto& s = shards();
  test::TempDir work;
  auto out = work.file("out.h5");
  SECTION("another suite") {
    test::write_file(work.file("o.yaml"), "suite: other\ntask: selftest\nsweep: {seeds: 8}\n");
    REQUIRE(test::bench_run({work.file("o.yaml"), "--out", work.file("other.h5")}).exit_code == 0);
    auto r = test::bench_merge({out, s.files[0], work.file("other.h5")});
    CHECK(r.exit_code == 2);
    CHECK(r.err == "bench-merge: " + work.file("other.h5") + ": suite is 'other', expected 'merged' (as in " + s.files[0] + ")\n");
  }
  SECTION("another plan") {
    REQUIRE(test::bench_run({s.suite, "--set", "steps=61", "--out", work.file("longer.h5")}).exit_code == 0);
    auto r = test::bench_merge({out, s.files[0], work.file("longer.h5")});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("bench-merge: " + work.file("longer.h5") + ": its plan differs from " + s.files[0] +
                                        "'s at index 0: run "));
  }
  SECTION("a run whose copies differ") {
    auto f = read_results(s.files[0]);
    f.runs[0].metrics.at("loss")[3] += 1e-12;  // as another build or a nondeterministic kernel might
    {
      ResultsWriter w(work.file("forged.h5"), f.root, f.plan);
      for (const auto& run : f.runs) w.add_run(run);
    }
    auto r = test::bench_merge({out, s.files[0], work.file("forged.h5")});
    CHECK(r.exit_code == 2);
    CHECK(r.err == "bench-merge: " + work.file("forged.h5") + ": run " + f.runs[0].id + " (" + f.runs[0].point +
                       ", seed " + std::to_string(f.runs[0].seed) + ") differs from its copy in " + s.files[0] +
                       ": trajectory\n");
  }
  SECTION("an output that exists, or is an input") {
    test::write_file(out, "keep me");
    auto r = test::bench_merge({out, s.files[0]});
    CHECK(r.exit_code == 2);
    CHECK(r.err == "bench-merge: " + out + " exists; replace it with --force\n");
    CHECK(test::read_file(out) == "keep me");
    auto same = test::bench_merge({s.files[0], s.files[0], s.files[1], "--force"});
    CHECK(same.exit_code == 2);
    CHECK(same.err == "bench-merge: " + s.files[0] + ": is also an input; write the merge to another file\n");
    return;
  }
  SECTION("a file that is not a results file") {
    test::write_file(work.file("junk.h5"), "junk");
    auto r = test::bench_merge({out, s.files[0], work.file("junk.h5")});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("bench-merge: " + work.file("junk.h5") + ": /: not an HDF5 file"));
  }
  CHECK_FALSE(test::exists(out));
}

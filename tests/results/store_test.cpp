// The HDF5 store: round trips, resume, error messages, and crash safety
// under kill -9 at random moments.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <random>

#include <H5Cpp.h>

#include "results/status.h"
#include "results/store.h"
#include "support.h"

using namespace genbench;

namespace {

RunRecord make_run(const std::string& id, int64_t index, size_t rows) {
  RunRecord r;
  r.id = id;
  r.index = index;
  r.task = "selftest";
  r.seed = static_cast<uint64_t>(index);
  r.point = "p" + std::to_string(index);
  r.status = RunStatus::Ok;
  r.wall_time_s = 0.5;
  r.steps_per_s = 200;
  r.device = "cpu";
  r.log_every = 10;
  r.params.set("n", int64_t{7});
  r.params.set("lr", 0.125);
  r.params.set("flag", true);
  r.params.set("opt", std::string("gd"));
  r.params.set("eig", std::vector<double>{1.0, 0.5});
  for (size_t i = 0; i < rows; ++i) {
    r.steps.push_back(static_cast<int64_t>(i * 10));
    r.metrics["loss"].push_back(1.0 / (1.0 + static_cast<double>(i) + static_cast<double>(index)));
    r.metrics["acc"].push_back(i == 1 ? std::nan("") : static_cast<double>(i));
  }
  r.summaries["best"] = 0.25;
  return r;
}

std::vector<PlannedRun> plan_of(int n) {
  std::vector<PlannedRun> plan;
  for (int i = 0; i < n; ++i) plan.push_back({"run" + std::to_string(i), "p" + std::to_string(i), static_cast<uint64_t>(i)});
  return plan;
}

void require_same_run(const RunRecord& a, const RunRecord& b) {
  CHECK(a.id == b.id);
  CHECK(a.index == b.index);
  CHECK(a.status == b.status);
  CHECK(a.steps == b.steps);
  REQUIRE(a.metrics.size() == b.metrics.size());
  for (const auto& [name, values] : a.metrics) {
    const auto& other = b.metrics.at(name);
    REQUIRE(values.size() == other.size());
    for (size_t i = 0; i < values.size(); ++i)
      CHECK((values[i] == other[i] || (std::isnan(values[i]) && std::isnan(other[i]))));
  }
  CHECK(a.summaries == b.summaries);
}

}  // namespace

TEST_CASE("a results file round-trips runs, config types and provenance", "[results]") {
  test::TempDir dir;
  auto path = dir.file("r.h5");
  {
    ResultsWriter w(path, {{"suite", std::string("s")}, {"jobs", int64_t{2}}}, plan_of(3));
    w.add_run(make_run("run1", 1, 5));
    w.add_run(make_run("run0", 0, 0));  // a run that logged nothing is still a run
    w.set_root_summaries({{"peak", 3.5}});
    w.commit();
  }
  auto f = read_results(path);
  CHECK(f.root_string("suite") == "s");
  CHECK(std::get<int64_t>(f.root.at("jobs")) == 2);
  CHECK(std::get<int64_t>(f.root.at("schema_version")) == kSchemaVersion);
  REQUIRE(f.plan.size() == 3);
  CHECK(f.plan[2].point == "p2");
  REQUIRE(f.runs.size() == 2);
  CHECK(f.runs[0].id == "run0");  // ordered by plan index, not by finish order
  require_same_run(f.runs[1], make_run("run1", 1, 5));
  const auto& p = f.runs[1].params;
  CHECK(p.get_int("n") == 7);
  CHECK(p.get_float("lr") == 0.125);
  CHECK(p.get_bool("flag"));
  CHECK(p.get_string("opt") == "gd");
  CHECK(p.get_float_list("eig") == std::vector<double>{1.0, 0.5});
  CHECK(f.summaries.at("peak") == 3.5);
  REQUIRE(f.missing().size() == 1);
  CHECK(f.missing()[0].id == "run2");
  CHECK_FALSE(test::exists(path + ".tmp"));
}

TEST_CASE("a resumed writer keeps what was there and adds runs", "[results]") {
  test::TempDir dir;
  auto path = dir.file("r.h5");
  {
    ResultsWriter w(path, {}, plan_of(2));
    w.add_run(make_run("run0", 0, 4));
    w.commit();
  }
  {
    ResultsWriter w(path);
    CHECK(w.finished_ids() == std::set<std::string>{"run0"});
    REQUIRE_THROWS_WITH(w.add_run(make_run("run0", 0, 4)), path + ": /runs/run0: run is already in the file");
    w.add_run(make_run("run1", 1, 4));
    w.commit();
  }
  auto f = read_results(path);
  REQUIRE(f.runs.size() == 2);
  require_same_run(f.runs[0], make_run("run0", 0, 4));
  CHECK(f.missing().empty());
}

namespace {

ino_t inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

}  // namespace

TEST_CASE("a commit writes only the runs it adds, and the main file is rewritten a bounded number of times", "[results]") {
  test::TempDir dir;
  auto path = dir.file("r.h5");
  ResultsWriter w(path, {}, plan_of(400));
  auto created = inode_of(path);
  int rewrites = 0;
  auto last = created;
  for (int i = 0; i < 400; ++i) {
    w.add_run(make_run("run" + std::to_string(i), i, 20));
    w.commit();
    if (i == 10) CHECK(inode_of(path) == created);  // ten commits, and the main file was not touched
    if (inode_of(path) != last) ++rewrites, last = inode_of(path);
    if (i % 37 == 0) {  // every committed run is readable at every moment, exactly once
      auto f = read_results(path);
      REQUIRE(f.runs.size() == static_cast<size_t>(i + 1));
      CHECK(f.runs.back().id == "run" + std::to_string(i));
    }
  }
  CHECK(rewrites == 3);  // the loose runs are folded in at 64, 128 and 256 runs: doubling
  CHECK(test::exists(loose_runs_dir(path)));
  w.set_root_attrs({{"status", std::string("complete")}});
  w.commit();
  CHECK_FALSE(test::exists(loose_runs_dir(path)));  // a clean end leaves one self-contained file
  auto f = read_results(path);
  REQUIRE(f.runs.size() == 400);
  for (size_t i = 0; i < f.runs.size(); i += 50) require_same_run(f.runs[i], make_run(f.runs[i].id, f.runs[i].index, 20));
}

TEST_CASE("runs in progress are checkpointed beside the file and dropped once they finish", "[results]") {
  test::TempDir dir;
  auto path = dir.file("r.h5");
  ResultsWriter w(path, {}, plan_of(3));
  auto a = make_run("run0", 0, 5), b = make_run("run1", 1, 7);
  w.set_partial({&a, &b});
  w.commit();
  auto f = read_results(path);
  REQUIRE(f.partial.size() == 2);
  CHECK(f.partial[0].status == RunStatus::Running);
  CHECK(f.partial[1].steps.size() == 7);
  w.add_run(a);  // finished: no longer in progress, whatever the last checkpoint held
  w.commit();
  f = read_results(path);
  REQUIRE(f.partial.size() == 1);
  CHECK(f.partial[0].id == "run1");
  REQUIRE(f.runs.size() == 1);
  CHECK(f.runs[0].status == RunStatus::Ok);
}

TEST_CASE("a second writer on a file being written is refused, naming the one that holds it", "[results]") {
  test::TempDir dir;
  auto path = dir.file("r.h5");
  auto first = std::make_unique<ResultsWriter>(path, AttrMap{}, plan_of(2));
  first->add_run(make_run("run0", 0, 3));
  first->commit();
  const auto holder = path + " is being written by bench-run (pid " + std::to_string(getpid()) + " on ";
  SECTION("a new sweep on the same file") {
    REQUIRE_THROWS_WITH(ResultsWriter(path, {}, plan_of(5)), Catch::StartsWith(holder));
  }
  SECTION("a resume of it") {
    REQUIRE_THROWS_AS(ResultsWriter(path), FileBusyError);
  }
  // and the first writer lost nothing
  first->add_run(make_run("run1", 1, 3));
  first->commit();
  first.reset();
  REQUIRE(read_results(path).runs.size() == 2);
  CHECK_FALSE(test::exists(path + ".lock"));
  ResultsWriter again(path);  // free once the first is gone
  CHECK(again.finished_ids().size() == 2);
}

TEST_CASE("a version-1 file is read, and a resume of it becomes version 2 with every run", "[results]") {
  test::TempDir dir;
  auto path = dir.file("v1.h5");
  std::filesystem::copy_file(test::source_path("results/baselines/matrix_sensing-ci.h5"), path);
  auto before = read_results(path);
  REQUIRE(std::get<int64_t>(before.root.at("schema_version")) == 1);
  REQUIRE_FALSE(before.runs.empty());
  {
    ResultsWriter w(path);
    CHECK(w.finished_ids().size() == before.runs.size());
    auto extra = make_run("extra", static_cast<int64_t>(before.plan.size()), 4);
    w.add_run(extra);
    w.set_root_attrs({{"status", std::string("complete")}});
    w.commit();
  }
  auto after = read_results(path);
  CHECK(std::get<int64_t>(after.root.at("schema_version")) == kSchemaVersion);
  REQUIRE(after.runs.size() == before.runs.size() + 1);
  for (size_t i = 0; i < before.runs.size(); ++i) require_same_run(after.runs[i], before.runs[i]);
}

TEST_CASE("segments left by another file at the same path are not read as its runs", "[results]") {
  test::TempDir dir;
  auto path = dir.file("r.h5");
  {
    ResultsWriter old_sweep(path, {}, plan_of(2));
    old_sweep.add_run(make_run("run0", 0, 3));
    old_sweep.commit();  // a loose run: it sits in the folder beside the file
    std::filesystem::copy(loose_runs_dir(path), dir.file("kept.runs"));
  }
  {
    ResultsWriter fresh(path, {}, plan_of(2));
    fresh.close();
  }
  std::filesystem::rename(dir.file("kept.runs"), loose_runs_dir(path));  // as if they had survived
  CHECK(read_results(path).runs.empty());
}

TEST_CASE("every run status has one spelling, which parses back", "[results]") {
  for (auto status : {RunStatus::Ok, RunStatus::Failed, RunStatus::Diverged, RunStatus::Interrupted, RunStatus::Running}) {
    CAPTURE(status);
    CHECK(parse_run_status(to_string(status)) == status);
  }
  CHECK(to_string(RunStatus::Diverged) == "diverged");
  CHECK_FALSE(parse_run_status("OK").has_value());
  CHECK_FALSE(parse_run_status("").has_value());
}

TEST_CASE("unreadable results fail with the file and the reason", "[results]") {
  test::TempDir dir;
  SECTION("missing file") {
    REQUIRE_THROWS_WITH(read_results(dir.file("nope.h5")), dir.file("nope.h5") + ": cannot open: No such file or directory");
  }
  SECTION("not HDF5") {
    test::write_file(dir.file("x.h5"), "hello");
    REQUIRE_THROWS_WITH(read_results(dir.file("x.h5")), Catch::StartsWith(dir.file("x.h5") + ": /: not an HDF5 file"));
  }
  SECTION("another schema version") {
    { ResultsWriter w(dir.file("v.h5"), {}, {}); }
    ResultsWriter w(dir.file("v.h5"));  // the writer stamps its own version: forge another
    w.set_root_attrs({{"schema_version", int64_t{99}}});
    w.commit();
    REQUIRE_THROWS_WITH(read_results(dir.file("v.h5")), dir.file("v.h5") + ": /: schema_version is 99, expected 1 or 2");
  }
  SECTION("a run whose status is not a run status") {
    {
      ResultsWriter w(dir.file("s.h5"), {}, plan_of(1));
      w.add_run(make_run("run0", 0, 3));
      w.set_root_attrs({{"status", std::string("complete")}});  // folds the run into the main file
      w.commit();
    }
    {  // forge the attribute, as another program writing the file might
      H5::H5File file(dir.file("s.h5"), H5F_ACC_RDWR);
      auto group = file.openGroup("/runs/run0");
      group.removeAttr("status");
      H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
      type.setCset(H5T_CSET_UTF8);
      group.createAttribute("status", type, H5::DataSpace(H5S_SCALAR)).write(type, std::string("finished"));
    }
    REQUIRE_THROWS_WITH(read_results(dir.file("s.h5")),
                        dir.file("s.h5") + ": /runs/run0: cannot read run: status 'finished' is not a run status "
                                           "(ok, failed, diverged, running)");
  }
  SECTION("a directory that cannot be written") {
    REQUIRE_THROWS_WITH(ResultsWriter(dir.file("no/such/dir/r.h5"), {}, {}),
                        Catch::StartsWith(dir.file("no/such/dir/r.h5") + ": cannot create"));
  }
}

TEST_CASE("kill -9 at any moment leaves a file with every committed run intact", "[results][slow]") {
  test::TempDir dir;
  auto path = dir.file("r.h5");
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 16; ++trial) {
    CAPTURE(trial);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {  // a writer that commits as fast as it can, forever
      try {
        ResultsWriter w(path, {}, plan_of(1000));
        for (int i = 0;; ++i) {
          w.add_run(make_run("run" + std::to_string(i), i, 300));
          w.commit();
        }
      } catch (...) {
        _exit(1);
      }
    }
    // every other kill lands early, while the writer replaces the last trial's file
    usleep(trial % 2 ? std::uniform_int_distribution<int>(0, 20000)(rng)
                     : std::uniform_int_distribution<int>(50000, 300000)(rng));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    auto f = read_results(path);  // must open
    for (const auto& r : f.runs) require_same_run(r, make_run(r.id, r.index, 300));
    for (size_t i = 0; i < f.runs.size(); ++i) CHECK(f.runs[i].id == "run" + std::to_string(i));
  }
}

// bench-compare on a real baseline and perturbed copies of it: the exit code
// and the line a reader sees for each way a candidate can differ.
#include <H5Cpp.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>

#include "harness/sweep.h"
#include "results/store.h"
#include "support.h"

using namespace genbench;

namespace {

// A baseline: two points with 3 seeds (compared as distributions) and one
// with a single seed (compared run by run), from the real bench-run.
const std::string& baseline_path() {
  static test::TempDir dir;
  static std::string path = [] {
    test::write_file(dir.file("s.yaml"),
                     "suite: matrix_sensing\ntask: matrix_sensing\ndefaults: {steps: 600}\n"
                     "sweep:\n  points: [{name: exact, k: 2}, {name: over, k: 30}]\n  seeds: 3\n"
                     "tiers:\n  single: {seeds: [0], sweep: {points: [{name: gd1, kappa: 1}]}}\n"
                     "tolerances:\n  summaries:\n    \"*\": {rel: 1.0e-6}\n    steps_to_rel_error_1e-2: {abs: 10}\n"
                     "  curves:\n    rel_error: {log: true, abs: 0.3, floor: 1.0e-12}\n");
    auto out = dir.file("base.h5");
    REQUIRE(test::bench_run({dir.file("s.yaml"), "--out", out}).exit_code == 0);
    // the single-seed point goes into the same file, as a resumed invocation would add it
    auto single = dir.file("single.h5");
    REQUIRE(test::bench_run({dir.file("s.yaml"), "--tier", "single", "--out", single}).exit_code == 0);
    auto a = read_results(out), b = read_results(single);
    auto plan = a.plan;
    plan.insert(plan.end(), b.plan.begin(), b.plan.end());
    ResultsWriter w(out, a.root, plan);
    for (auto& r : a.runs) w.add_run(r);
    for (auto& r : b.runs) {
      r.index += static_cast<int64_t>(a.plan.size());
      w.add_run(r);
    }
    w.commit();
    return out;
  }();
  return path;
}

// A copy of the baseline with `mutate` applied, written through the real store.
std::string perturbed(const test::TempDir& dir, const std::function<void(ResultsFile&)>& mutate,
                      const std::string& name = "candidate.h5") {
  auto f = read_results(baseline_path());
  mutate(f);
  auto path = dir.file(name);
  ResultsWriter w(path, f.root, f.plan);
  for (const auto& r : f.runs) w.add_run(r);
  if (!f.verdicts.empty()) w.set_verdicts(f.verdicts);
  w.commit();
  return path;
}

RunRecord& run_of(ResultsFile& f, const std::string& point, uint64_t seed) {
  for (auto& r : f.runs)
    if (r.point == point && r.seed == seed) return r;
  throw std::runtime_error("no run " + point);
}

}  // namespace

TEST_CASE("bench-compare: a byte-identical candidate is the same", "[compare]") {
  test::TempDir dir;
  std::filesystem::copy_file(baseline_path(), dir.file("copy.h5"));
  auto r = test::bench_compare({baseline_path(), dir.file("copy.h5")});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("7 runs matched in 3 points") && Catch::Contains("0 beyond tolerance") &&
                        Catch::EndsWith("result: same within tolerance\n"));
}

TEST_CASE("bench-compare: what moved is a regression, exit 1", "[compare]") {
  test::TempDir dir;
  SECTION("a curve shifted by a decade") {
    auto cand = perturbed(dir, [](ResultsFile& f) {
      for (auto& r : f.runs)
        if (r.point == "over")
          for (auto& v : r.metrics.at("rel_error")) v *= 10;
    });
    auto r = test::bench_compare({baseline_path(), cand});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("FAIL over (3 seeds, median)") && Catch::Contains("curve rel_error") &&
                          Catch::Contains("> abs 0.3 (log10, floor 1e-12)") && Catch::EndsWith("result: REGRESSION (exit 1)\n"));
    CHECK_THAT(r.out, !Catch::Contains("FAIL exact"));
  }
  SECTION("a summary beyond its tolerance") {
    auto cand = perturbed(dir, [](ResultsFile& f) { run_of(f, "gd1", 0).summaries["steps_to_rel_error_1e-2"] += 50; });
    auto r = test::bench_compare({baseline_path(), cand});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("FAIL gd1 seed 0") && Catch::Contains("steps_to_rel_error_1e-2") &&
                          Catch::Contains("50 > abs 10"));
  }
  SECTION("a threshold no longer reached") {
    auto cand = perturbed(dir, [](ResultsFile& f) { run_of(f, "gd1", 0).summaries.erase("steps_to_rel_error_1e-8"); });
    auto r = test::bench_compare({baseline_path(), cand});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("steps_to_rel_error_1e-8") && Catch::Contains("in the baseline only"));
  }
  SECTION("a claim that held in the baseline fails in the candidate, the runs within tolerance") {
    auto judged = [](const std::string& outcome) {
      return [outcome](ResultsFile& f) {
        f.verdicts = {{"still linear", "pass", "3 of 3 seeds: 8..9", "> 5, every run", "", 8},
                      {"exact recovers", outcome, "3 of 3 seeds", "< 1e-8, every run", "", 1e-9}};
      };
    };
    auto base = perturbed(dir, judged("pass"), "judged_base.h5");
    auto cand = perturbed(dir, judged("fail"));
    auto r = test::bench_compare({base, cand});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("FAIL claim") && Catch::Contains("exact recovers") && Catch::Contains("pass -> fail"));
    CHECK_THAT(r.out, !Catch::Contains("FAIL claim    still linear"));
    CHECK(test::bench_compare({base, perturbed(dir, judged("pass"))}).exit_code == 0);
  }
  SECTION("a run that now diverges") {
    auto cand = perturbed(dir, [](ResultsFile& f) {
      auto& r = run_of(f, "exact", 1);
      r.status = RunStatus::Diverged;
      r.error = "metric 'rel_error' is nan at step 40";
    });
    auto r = test::bench_compare({baseline_path(), cand});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("FAIL exact seed 1") && Catch::Contains("ok -> diverged: metric 'rel_error' is nan"));
  }
}

TEST_CASE("bench-compare: seeds are compared as a distribution", "[compare]") {
  test::TempDir dir;
  // One seed's crossing moves far; the median over the 3 seeds does not.
  auto f = read_results(baseline_path());
  std::vector<double> steps;
  for (const auto& r : f.runs)
    if (r.point == "exact") steps.push_back(r.summaries.at("steps_to_rel_error_1e-2"));
  auto slowest = std::max_element(steps.begin(), steps.end()) - steps.begin();
  auto cand = perturbed(dir, [&](ResultsFile& g) {
    run_of(g, "exact", static_cast<uint64_t>(slowest)).summaries["steps_to_rel_error_1e-2"] += 500;
  });
  auto r = test::bench_compare({baseline_path(), cand});
  CHECK(r.exit_code == 0);
  auto moved_median = perturbed(dir, [&](ResultsFile& g) {
    for (auto& run : g.runs)
      if (run.point == "exact") run.summaries["steps_to_rel_error_1e-2"] += 500;
  });
  CHECK(test::bench_compare({baseline_path(), moved_median}).exit_code == 1);
}

TEST_CASE("bench-compare: an incomplete or broken candidate cannot be compared, exit 2", "[compare]") {
  test::TempDir dir;
  SECTION("a dropped run") {
    auto cand = perturbed(dir, [](ResultsFile& f) { f.runs.erase(f.runs.begin() + 1); });
    auto r = test::bench_compare({baseline_path(), cand});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("1 baseline run(s) missing from the candidate: ") &&
                          Catch::Contains("(exact, seed 1)") && Catch::EndsWith("result: INCOMPARABLE (exit 2)\n"));
  }
  SECTION("a corrupt schema") {
    std::filesystem::copy_file(baseline_path(), dir.file("c.h5"));
    {
      ResultsWriter w(dir.file("c.h5"));
      w.set_root_attrs({{"schema_version", int64_t{99}}});
      w.commit();
    }
    auto r = test::bench_compare({baseline_path(), dir.file("c.h5")});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains(dir.file("c.h5") + ": /: schema_version is 99, expected 1 or 2"));
  }
  SECTION("not an HDF5 file, or no file") {
    test::write_file(dir.file("x.h5"), "garbage");
    CHECK(test::bench_compare({baseline_path(), dir.file("x.h5")}).exit_code == 2);
    auto r = test::bench_compare({dir.file("none.h5"), baseline_path()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains(dir.file("none.h5") + ": cannot open: No such file or directory"));
  }
  SECTION("a truncated file says so") {
    auto bytes = test::read_file(baseline_path());
    test::write_file(dir.file("cut.h5"), bytes.substr(0, bytes.size() / 2));
    auto r = test::bench_compare({baseline_path(), dir.file("cut.h5")});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains(dir.file("cut.h5") + ": truncated: " + std::to_string(bytes.size() / 2) +
                                      " bytes of the " + std::to_string(bytes.size()) + " its superblock records"));
  }
  SECTION("attributes of the wrong type: cannot compare, never a regression") {
    struct Forgery {
      std::string object, attribute, message;
    };
    auto f = read_results(baseline_path());
    const auto& run = f.runs[0];
    auto forgery = GENERATE_COPY(values<Forgery>({
        {"/runs/" + run.id, "seed", "/runs/" + run.id + ": cannot read run: attribute 'seed' is string, expected int"},
        {"/runs/" + run.id + "/summary", "final_rel_error",
         "/runs/" + run.id + ": cannot read run: attribute 'final_rel_error' is string, expected float"},
        {"/", "suite", "/: cannot read attributes: attribute 'suite' is int, expected string"},
    }));
    CAPTURE(forgery.object, forgery.attribute);
    std::filesystem::copy_file(baseline_path(), dir.file("typed.h5"), std::filesystem::copy_options::overwrite_existing);
    {
      H5::H5File file(dir.file("typed.h5"), H5F_ACC_RDWR);
      auto object = file.openGroup(forgery.object);
      object.removeAttr(forgery.attribute);
      H5::DataSpace scalar(H5S_SCALAR);
      if (forgery.attribute == "suite") {
        int64_t v = 7;
        object.createAttribute(forgery.attribute, H5::PredType::NATIVE_INT64, scalar).write(H5::PredType::NATIVE_INT64, &v);
      } else {
        H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
        object.createAttribute(forgery.attribute, type, scalar).write(type, std::string("0"));
      }
    }
    auto r = test::bench_compare({baseline_path(), dir.file("typed.h5")});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains(dir.file("typed.h5") + ": " + forgery.message) &&
                          Catch::EndsWith("result: INCOMPARABLE (exit 2)\n"));
  }
  SECTION("a run that failed: a broken harness is not a regression") {
    auto cand = perturbed(dir, [](ResultsFile& f) {
      auto& r = run_of(f, "over", 2);
      r.status = RunStatus::Failed;
      r.error = "worker killed by signal 11 (Segmentation fault)";
    });
    auto r = test::bench_compare({baseline_path(), cand});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("failed in the candidate: worker killed by signal 11"));
  }
  SECTION("another suite") {
    auto cand = perturbed(dir, [](ResultsFile& f) { f.root["suite"] = std::string("grokking"); });
    auto r = test::bench_compare({baseline_path(), cand});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("the baseline is suite 'matrix_sensing', the candidate suite 'grokking'"));
  }
}

TEST_CASE("tolerances: an exact key, then the longest '*suffix' pattern, then '*'", "[compare]") {
  auto t = parse_tolerances("tolerances:\n  summaries:\n    \"*\": {rel: 1}\n    \"*_slope\": {rel: 2}\n"
                            "    \"*_noise_slope\": {rel: 3}\n    a_noise_slope: {rel: 4}\n",
                            "t.yaml", true);
  auto rel = [&](const std::string& key) { return t.for_summary(key).rel; };
  CHECK(rel("a_noise_slope") == 4);
  CHECK(rel("b_noise_slope") == 3);
  CHECK(rel("b_slope") == 2);
  CHECK(rel("_slope") == 2);
  CHECK(rel("slope") == 1);  // a pattern's suffix must match in full
  CHECK(rel("slope_growth") == 1);
}

TEST_CASE("bench-compare: --tolerances replaces the suite's tolerances", "[compare]") {
  test::TempDir dir;
  auto cand = perturbed(dir, [](ResultsFile& f) { run_of(f, "gd1", 0).summaries["steps_to_rel_error_1e-2"] += 50; });
  test::write_file(dir.file("t.yaml"), "tolerances:\n  summaries:\n    \"*\": {rel: 1.0}\n");
  CHECK(test::bench_compare({baseline_path(), cand, "--tolerances", dir.file("t.yaml")}).exit_code == 0);
  test::write_file(dir.file("bad.yaml"), "tolerances:\n  summaries:\n    \"*\": {rell: 1.0}\n");
  auto r = test::bench_compare({baseline_path(), cand, "--tolerances", dir.file("bad.yaml")});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Catch::Contains(dir.file("bad.yaml") + ":3:11: tolerances.summaries.*.rell: unknown tolerance key (did you mean 'rel'?)"));
}

TEST_CASE("bench-compare --by point: two configurations, median differences with a rank test", "[compare]") {
  test::TempDir dir;
  auto suite = test::source_path("configs/matrix_sensing.yaml");
  auto run = [&](const std::string& name, const std::string& lr, const std::string& seeds) {
    auto out = dir.file(name);
    REQUIRE(test::bench_run({suite, "--tier", "smoke", "--set", "lr=" + lr, "--seeds", seeds, "--out", out}).exit_code == 0);
    return out;
  };
  auto a = run("a.h5", "0.05", "6"), b = run("b.h5", "0.02", "6");
  auto r = test::bench_compare({a, b, "--by", "point"});
  CAPTURE(r.out);
  CHECK(r.exit_code == 1);  // a smaller step recovers less in 200 steps, on every seed
  CHECK_THAT(r.out, Catch::Contains("A: --set lr=0.05") && Catch::Contains("B: --set lr=0.02"));
  CHECK_THAT(r.out, Catch::Contains("FAIL exact_k2 (6 vs 6 seeds)") && Catch::Contains("final_rel_error") &&
                        Catch::Contains("p = 0.00216 < alpha: differs"));
  CHECK_THAT(r.out, Catch::Contains("A median") && Catch::EndsWith("result: REGRESSION (exit 1)\n"));
  // plain bench-compare finds no run of A in B: another configuration
  CHECK(test::bench_compare({a, b}).exit_code == 2);

  SECTION("the same configuration is the same") {
    auto same = test::bench_compare({a, run("a2.h5", "0.05", "6"), "--by", "point"});
    CHECK(same.exit_code == 0);
    CHECK_THAT(same.out, Catch::Contains("p = 1"));
  }
  SECTION("3 seeds a side cannot show a difference: the p-value says so") {
    auto few = test::bench_compare({run("a3.h5", "0.05", "3"), run("b3.h5", "0.02", "3"), "--by", "point"});
    CHECK(few.exit_code == 0);
    CHECK_THAT(few.out, Catch::Contains("(3 vs 3 seeds)") && Catch::Contains("p = 0.1, beyond tolerance but not significant"));
  }
}

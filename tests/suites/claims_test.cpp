// Claims (`expect:`): read with file:line:col errors, judged on the file a
// real bench-run writes, stored with it, and turned into an exit code by --check.
#include <catch2/catch.hpp>

#include "harness/suite_file.h"
#include "harness/verdicts.h"
#include "results/store.h"
#include "support.h"

using namespace genbench;

namespace {

// Two points of the self-test random walk over three seeds: `still` never
// moves (step_std 0), `walk` does.
const std::string kSuite = R"(suite: claims
task: selftest
defaults: {steps: 20}
sweep:
  points:
    - {name: still, step_std: 0}
    - {name: walk, step_std: 1}
  seeds: 3
tiers:
  quick: {expect: []}
  judged: {}
expect:
  - name: the still walk stays at 0
    point: still
    summary: final_position
    equals: 0
  - name: the walk ends at 0 too
    point: walk
    summary: final_position
    equals: 0
    source: deliberately false
  - name: the walk is no more than 100 from the still one
    point: walk
    summary: final_position
    between: [-100, 100]
  - name: some seed's walk ends below the still one
    point: walk
    summary: final_position
    seeds: any
    less_than: {point: still}
  - name: the loss of a still walk is 0 at every logged step
    where: {step_std: 0}
    metric: loss
    reduce: max
    at_most: 0
  - name: at step 0 at least 1 of 3 walks has a loss
    point: walk
    metric: loss
    at_step: 0
    seeds: at least 1 of 3
    at_least: 0
  - name: a suite summary the selftest has not
    summary: no_such_summary
    at_least: 0
)";

const Verdict& verdict(const std::vector<Verdict>& verdicts, const std::string& claim) {
  for (const auto& v : verdicts)
    if (v.claim == claim) return v;
  FAIL("no verdict for '" << claim << "'");
  return verdicts.front();
}

}  // namespace

TEST_CASE("a claim that cannot be read names its file, line, column and key", "[claims][suite]") {
  struct Case {
    const char* expect;
    const char* message;
  };
  auto c = GENERATE(values<Case>({
      {"expect:\n  - {name: a, summary: s}\n", "t.yaml:5:5: expect[0]: missing a bound: at_least, at_most, greater_than, less_than, between or equals"},
      {"expect:\n  - {name: a, summary: s, at_least: 1, at_most: 2}\n",
       "t.yaml:5:5: expect[0]: one bound per claim, found at_least and at_most (between: [lo, hi] is two-sided)"},
      {"expect:\n  - {name: a, summary: s, at_lest: 1}\n",
       "t.yaml:5:27: expect[0].at_lest: unknown claim key (did you mean 'at_least'?)"},
      {"expect:\n  - {summary: s, at_least: 1}\n", "t.yaml:5:5: expect[0].name: missing: every claim needs a name"},
      {"expect:\n  - {name: a, summary: s, at_least: 1}\n  - {name: a, summary: t, at_least: 1}\n",
       "t.yaml:6:12: expect[1].name: claim 'a' is named twice"},
      {"expect:\n  - {name: a, point: stil, summary: s, at_least: 1}\n",
       "t.yaml:5:22: expect[0].point: no point 'stil' in the sweep (did you mean 'still'?)"},
      {"expect:\n  - {name: a, point: still, summary: s, seeds: most, at_least: 1}\n",
       "t.yaml:5:48: expect[0].seeds: expected all, median, mean, any or \"at least K of N\", found 'most'"},
      {"expect:\n  - {name: a, point: still, summary: s, seeds: at least 4 of 3, at_least: 1}\n",
       "t.yaml:5:48: expect[0].seeds: 'at least 4 of 3': expected 1 <= K <= N in \"at least K of N\""},
      {"expect:\n  - {name: a, point: still, metric: loss, at_least: 1}\n",
       "t.yaml:5:37: expect[0].at_step: missing: a metric is judged at a logged step (at_step: N) or reduced (reduce: max)"},
      {"expect:\n  - {name: a, point: still, metric: loss, reduce: maximum, at_least: 1}\n",
       "t.yaml:5:51: expect[0].reduce: expected first, last, min, max, mean, found 'maximum'"},
      {"expect:\n  - {name: a, point: still, summary: s, seeds: median, at_least: {point: walk}}\n",
       "t.yaml:5:48: expect[0].seeds: median and mean go with a number bound; a comparison is per seed (all, any, at least K of N)"},
      {"expect:\n  - {name: a, summary: s, between: [2, 1]}\n", "t.yaml:5:36: expect[0].between: expected lo <= hi, found [2, 1]"},
      {"expect:\n  - {name: a, summary: s, at_least: {point: walk}}\n",
       "t.yaml:5:45: expect[0].at_least.point: a suite summary is compared with another suite summary (no point)"},
      {"expect:\n  - {name: a, point: still, summary: s, at_least: 1, tolerance: 0.1}\n",
       "t.yaml:5:65: expect[0].tolerance: tolerance goes with equals"},
      {"expect:\n  - {name: a, where: {step_std: \">x\"}, summary: s, at_least: 1}\n",
       "t.yaml:5:33: expect[0].where.step_std: '>' needs a number, found 'x'"},
      {"expect: {name: a}\n", "t.yaml:4:9: expect: expected a list of claims, found a map"},
      {"tiers:\n  t1:\n    expect:\n      - {name: a, point: moving, summary: s, at_least: 1}\n",
       "t.yaml:7:26: tiers.t1.expect[0].point: no point 'moving' in tier 't1'"},
  }));
  CAPTURE(c.expect);
  const std::string text = "suite: t\ntask: selftest\nsweep: {points: [{name: still, step_std: 0}, {name: walk}]}\n" +
                           std::string(c.expect);
  REQUIRE_THROWS_WITH(parse_suite(text, "t.yaml"), c.message);
}

TEST_CASE("bench-run judges the claims when the sweep ends, stores the verdicts and --check exits 1 on a false one",
          "[claims][harness]") {
  test::TempDir dir;
  auto suite = dir.file("claims.yaml");
  test::write_file(suite, kSuite);
  auto out = dir.file("judged.h5");
  auto run = test::bench_run({suite, "--tier", "judged", "--out", out, "--jobs", "2"});
  REQUIRE(run.exit_code == 0);  // without --check the runs decide
  auto file = read_results(out);
  // "some seed ends below the still walk": whether it holds is the walks' to say
  size_t below = 0;
  for (const auto& r : file.runs) below += r.point == "walk" && r.summaries.at("final_position") < 0;
  const std::string tally = below ? "claims: 5 of 7 hold, 2 fail" : "claims: 4 of 7 hold, 3 fail";
  CHECK_THAT(run.out, Catch::Contains(tally));
  CHECK_THAT(run.out, Catch::Contains("\u2717 the walk ends at 0 too"));

  REQUIRE(file.verdicts.size() == 7);
  CHECK(verdict(file.verdicts, "the still walk stays at 0").outcome == "pass");
  CHECK(verdict(file.verdicts, "the still walk stays at 0").measured == "3 of 3 seeds: 0");
  CHECK(verdict(file.verdicts, "the walk ends at 0 too").outcome == "fail");
  CHECK(verdict(file.verdicts, "the walk ends at 0 too").source == "deliberately false");
  CHECK(verdict(file.verdicts, "the walk is no more than 100 from the still one").outcome == "pass");
  CHECK(verdict(file.verdicts, "the loss of a still walk is 0 at every logged step").measured == "3 of 3 seeds: 0");
  CHECK(verdict(file.verdicts, "at step 0 at least 1 of 3 walks has a loss").outcome == "pass");
  const auto& missing = verdict(file.verdicts, "a suite summary the selftest has not");
  CHECK(missing.outcome == "fail");
  CHECK_THAT(missing.measured, Catch::StartsWith("absent"));
  CHECK(verdict(file.verdicts, "some seed's walk ends below the still one").outcome == (below ? "pass" : "fail"));

  SECTION("--check makes the false claim exit 1; --judge says the same of the file, writing nothing") {
    auto checked = test::bench_run({suite, "--tier", "judged", "--out", dir.file("checked.h5"), "--check"});
    CHECK(checked.exit_code == 1);
    auto judged = test::bench_run({"--judge", out, "--check"});
    CHECK(judged.exit_code == 1);
    CHECK_THAT(judged.out, Catch::Contains(tally));
    CHECK(read_results(out).verdicts.size() == 7);
  }
  SECTION("the claims made true, --check exits 0") {
    auto fixed = dir.file("fixed.yaml");
    std::string text = kSuite;
    text = text.substr(0, text.find("  - name: the walk ends at 0 too"));
    test::write_file(fixed, text);
    CHECK(test::bench_run({"--judge", out, fixed, "--check"}).exit_code == 0);
  }
  SECTION("a tier that drops the claims stores none") {
    auto quick = dir.file("quick.h5");
    REQUIRE(test::bench_run({suite, "--tier", "quick", "--out", quick, "--check"}).exit_code == 0);
    CHECK(read_results(quick).verdicts.empty());
  }
  SECTION("a point --filter leaves out is skipped, not failed") {
    auto only = dir.file("only.h5");
    REQUIRE(test::bench_run({suite, "--tier", "judged", "--out", only, "--filter", "point=still"}).exit_code == 0);
    auto verdicts = read_results(only).verdicts;
    CHECK(verdict(verdicts, "the walk ends at 0 too").outcome == "skip");
    CHECK(verdict(verdicts, "the still walk stays at 0").outcome == "pass");
    // a suite summary absent under a --filter is not judged either: its runs may be the ones left out
    const auto& suite_claim = verdict(verdicts, "a suite summary the selftest has not");
    CHECK(suite_claim.outcome == "skip");
    CHECK_THAT(suite_claim.measured, Catch::EndsWith("; the sweep ran with --filter point=still"));
  }
  SECTION("shards are not judged; their merge is, as the single run was") {
    auto a = dir.file("a.h5"), b = dir.file("b.h5"), merged = dir.file("merged.h5");
    REQUIRE(test::bench_run({suite, "--tier", "judged", "--out", a, "--shard", "0/2"}).exit_code == 0);
    REQUIRE(test::bench_run({suite, "--tier", "judged", "--out", b, "--shard", "1/2"}).exit_code == 0);
    CHECK(read_results(a).verdicts.empty());
    REQUIRE(test::bench_merge({merged, a, b}).exit_code == 0);
    auto joined = read_results(merged).verdicts;
    REQUIRE(joined.size() == file.verdicts.size());
    for (size_t i = 0; i < joined.size(); ++i) {
      CAPTURE(joined[i].claim);
      CHECK(joined[i].outcome == file.verdicts[i].outcome);
      CHECK(joined[i].measured == file.verdicts[i].measured);
    }
  }
}

TEST_CASE("README quotes every suite's claims as bench-run --list-claims prints them", "[claims][docs]") {
  const std::string begin = "<!-- claims: generated by `bench-run --list-claims`; a test compares -->\n";
  const std::string end = "<!-- end of claims -->";
  auto readme = test::read_file(test::source_path("README.md"));
  auto a = readme.find(begin), b = readme.find(end);
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  auto quoted = readme.substr(a + begin.size(), b - a - begin.size());
  auto listed = test::bench_run({"--list-claims", test::source_path("configs")});
  REQUIRE(listed.exit_code == 0);
  INFO("regenerate the section between the two markers with: bench-run --list-claims configs");
  CHECK(quoted == "\n" + listed.out);
  for (const char* suite : {"matrix_sensing", "grokking", "double_descent_linear", "benign_overfitting_xor"})
    CHECK_THAT(listed.out, Catch::Contains(std::string("**") + suite + "**"));
}

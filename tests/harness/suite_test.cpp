// Suite files: parsing, validation messages, sweep expansion and run ids.
#include <catch2/catch.hpp>

#include "harness/protocol.h"
#include "harness/sweep.h"
#include "support.h"

using namespace genbench;

namespace {

const char* kHeader = "suite: t\ntask: selftest\n";

std::vector<RunSpec> runs_of(const std::string& yaml, const ExpandOptions& options = {}) {
  return expand(parse_suite(yaml, "t.yaml"), options);
}

}  // namespace

TEST_CASE("the shipped suites parse and expand", "[suite]") {
  auto suite = load_suite(test::source_path("configs/matrix_sensing.yaml"));
  CHECK(suite.task == "matrix_sensing");
  CHECK(suite.default_tier == "ci");
  CHECK(expand(suite, {}).size() == 30);  // 10 points x 3 seeds
  CHECK(expand(suite, {"smoke", {}, {}}).size() == 2);
  CHECK(expand(suite, {"full", {}, {}}).size() == 72);  // 2 x 3 x 2 grid x 2 zip x 3 seeds
  for (const auto& run : expand(suite, {"smoke", {}, {}})) CHECK(run.params.get_int("steps") == 200);
}

TEST_CASE("malformed suites fail with file:line:col: key: message", "[suite]") {
  struct Case {
    const char* yaml;
    const char* message;
  };
  auto c = GENERATE(values<Case>({
      {"suite: t\ntask: selftest\ntires: {}\n", "t.yaml:3:1: tires: unknown key (did you mean 'tiers'?)"},
      {"suite: t\n", "t.yaml:1:1: task: missing required key"},
      {"suite: t\ntask: selftst\n",
       "t.yaml:2:7: task: unknown task 'selftst' (did you mean 'selftest'?); known tasks: TASKS"},
      {"suite: t\ntask: selftest\ndefaults: {steps: 1.5}\n", "t.yaml:3:19: defaults.steps: expected int, found float 1.5"},
      {"suite: t\ntask: selftest\ndefaults: {steps: -3}\n", "t.yaml:3:19: defaults.steps: must be >= 0, found -3"},
      {"suite: t\ntask: selftest\ndefaults: {step: 3}\n",
       "t.yaml:3:12: defaults.step: unknown parameter of task 'selftest' (did you mean 'steps'?)"},
      {"suite: t\ntask: selftest\nsweep:\n  grid: {steps: []}\n",
       "t.yaml:4:17: sweep.grid.steps: empty list: a sweep axis needs at least one value"},
      {"suite: t\ntask: selftest\nsweep:\n  grid: {steps: 3}\n",
       "t.yaml:4:17: sweep.grid.steps: expected a list of int, found int 3"},
      {"suite: t\ntask: selftest\nsweep:\n  zip: {steps: [1, 2], sleep_ms: [1]}\n",
       "t.yaml:4:34: sweep.zip.sleep_ms: zip lists must have equal lengths: 1 here, 2 for 'steps'"},
      {"suite: t\ntask: selftest\nsweep:\n  seeds: []\n",
       "t.yaml:4:10: sweep.seeds: empty list: a sweep needs at least one seed"},
      {"suite: t\ntask: selftest\nsweep:\n  seed: [1]\n",
       "t.yaml:4:3: sweep.seed: unknown sweep key (did you mean 'seeds'?)"},
      {"suite: t\ntask: selftest\nsweep:\n  points: [{name: a, stepz: 3}]\n",
       "t.yaml:4:22: sweep.points[0].stepz: unknown parameter of task 'selftest' (did you mean 'steps'?)"},
      {"suite: t\ntask: selftest\ndefaults: {steps: 3\n", "t.yaml:4:1: syntax: end of map flow not found"},
      {"suite: t\ntask: matrix_sensing\ndefaults: {optimizer: adam}\n",
       "t.yaml:3:23: defaults.optimizer: expected one of gd|scaledgd|l1_subgradient, found 'adam'"},
      {"suite: t\ntask: matrix_sensing\ndefaults: {eigenvalues: [1, x]}\n",
       "t.yaml:3:29: defaults.eigenvalues: expected a float in the list, found string 'x'"},
      {"suite: t\ntask: matrix_sensing\ndefaults: {r: 3, eigenvalues: [1, 0.5]}\n",
       "t.yaml: sweep: run (defaults): eigenvalues has 2 values but r is 3"},
      {"suite: t\ntask: selftest\ntiers: {ci: {steps: 2}}\ndefault_tier: smoke\n",
       "t.yaml:4:15: default_tier: no tier named 'smoke' under 'tiers'"},
      {"suite: t\ntask: selftest\ntiers: {ci: {stepss: 2}}\n",
       "t.yaml:3:14: tiers.ci.stepss: unknown parameter of task 'selftest' (did you mean 'steps'?)"},
      {"- a\n- b\n", "t.yaml:1:1: (top level): expected a map, found a list"},
      // what yaml-cpp itself lets through
      {"suite: t\ntask: selftest\ndefaults: {steps: 10, steps: 20}\n",
       "t.yaml:3:23: defaults.steps: duplicate key (first at line 3)"},
      {"suite: t\ntask: selftest\nsuite: u\n", "t.yaml:3:1: suite: duplicate key (first at line 1)"},
      {"suite: \"t\ntask: selftest\n", "t.yaml:1:8: suite: unterminated quoted string"},
      {"suite: t\ntask: selftest\ndescription: 'it''s\n", "t.yaml:3:14: description: unterminated quoted string"},
      {"suite: t\ntask: selftest\ndescription: caf\xe9\n",
       "t.yaml:3:17: syntax: invalid UTF-8 (byte 0xE9); the file must be UTF-8"},
      {"suite: t/../../x\ntask: selftest\n",
       "t.yaml:1:8: suite: expected a plain name (letters, digits, '_', '-', '.'; not starting with '.'), found 't/../../x'"},
  }));
  CAPTURE(c.yaml);
  REQUIRE_THROWS_WITH(parse_suite(c.yaml, "t.yaml"), test::with_task_list(c.message));
}

TEST_CASE("a plan's size is known before it is built, and a larger limit lets it through", "[suite]") {
  auto suite = parse_suite("suite: t\ntask: selftest\nsweep: {grid: {steps: [1, 2, 3], count: [1, 2]}, seeds: 4}\n"
                           "tiers: {big: {sweep: {grid: {count: [1, 2, 3, 4, 5]}, seeds: 10}}}\n", "t.yaml");
  CHECK(plan_size(suite, "") == 24);
  CHECK(plan_size(suite, "big") == 50);
  REQUIRE_THROWS_WITH(expand(suite, {"big", {}, {}, 49}),
                      "t.yaml: sweep of tier 'big': expands to 50 runs, over the limit of 49 (bench-run --max-runs N allows more)");
  CHECK(expand(suite, {"big", {}, {}, 50}).size() == 50);

  SECTION("a typo that makes millions of runs is refused at once, by the default limit") {
    auto huge = parse_suite("suite: t\ntask: selftest\nsweep: {grid: {steps: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "
                            "count: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], sleep_ms: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "
                            "step_std: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}, seeds: 200}\n", "t.yaml");
    REQUIRE_THROWS_WITH(expand(huge, {}), "t.yaml: sweep: expands to 2000000 runs, over the limit of 1000000 "
                                          "(bench-run --max-runs N allows more)");
  }
}

TEST_CASE("sweeps expand points x grid x zip x seeds", "[suite]") {
  SECTION("grid is cartesian, last axis fastest; zip pairs; seeds innermost") {
    auto runs = runs_of(std::string(kHeader) +
                        "sweep:\n  grid: {steps: [1, 2], sleep_ms: [0, 1, 2]}\n"
                        "  zip: {fail_at: [-1, 5], nan_at: [-1, 6]}\n  seeds: [0, 7]\n");
    REQUIRE(runs.size() == 2 * 3 * 2 * 2);
    CHECK(runs[0].point == "steps=1 sleep_ms=0 fail_at=-1 nan_at=-1");
    CHECK(runs[0].seed == 0);
    CHECK(runs[1].seed == 7);
    CHECK(runs[2].point == "steps=1 sleep_ms=0 fail_at=5 nan_at=6");
    CHECK(runs[4].point == "steps=1 sleep_ms=1 fail_at=-1 nan_at=-1");
    CHECK(runs.back().point == "steps=2 sleep_ms=2 fail_at=5 nan_at=6");
    for (size_t i = 0; i < runs.size(); ++i) CHECK(runs[i].index == static_cast<int64_t>(i));
  }
  SECTION("points merge over the defaults and carry their name") {
    auto runs = runs_of(std::string(kHeader) +
                        "defaults: {steps: 9, step_std: 2}\nsweep:\n  points: [{name: a}, {name: b, steps: 4}]\n");
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].point == "a");
    CHECK(runs[0].params.get_int("steps") == 9);
    CHECK(runs[1].point == "b");  // a named point stands for its values
    CHECK(runs[1].params.get_int("steps") == 4);
    CHECK(runs[1].params.get_float("step_std") == 2.0);
    CHECK(runs[1].params.get_int("sleep_ms") == 0);  // the task's default
  }
  SECTION("a tier overrides defaults; its sweep replaces the suite's") {
    auto yaml = std::string(kHeader) +
                "defaults: {steps: 9}\nsweep: {grid: {sleep_ms: [0, 1]}, seeds: 3}\n"
                "tiers:\n  small: {steps: 2, seeds: [5]}\n  other: {sweep: {points: [{fail_at: 1}]}}\n";
    auto small = runs_of(yaml, {"small", {}, {}});
    REQUIRE(small.size() == 2);
    CHECK(small[0].params.get_int("steps") == 2);
    CHECK(small[0].seed == 5);
    auto other = runs_of(yaml, {"other", {}, {}});
    REQUIRE(other.size() == 3);  // the suite's seeds, the tier's point, no grid
    CHECK(other[0].point == "fail_at=1");
    CHECK(runs_of(yaml).size() == 6);
    REQUIRE_THROWS_WITH(runs_of(yaml, {"big", {}, {}}), "t.yaml: --tier: unknown tier 'big'; known tiers: other, small");
  }
  SECTION("--set wins over every value in the file, checked like the file") {
    auto runs = runs_of(std::string(kHeader) + "defaults: {steps: 9}\nsweep: {points: [{name: a, steps: 7}, {name: b, sleep_ms: 1}]}\n",
                        {"", {"steps=4", "step_std=1e-1"}, {}});
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].params.get_int("steps") == 4);
    CHECK(runs[0].params.get_float("step_std") == 0.1);
    CHECK(runs[1].params.get_int("steps") == 4);
    REQUIRE_THROWS_WITH(runs_of(kHeader, {"", {"steps=x"}, {}}), "--set: steps: expected int, found string 'x'");
    REQUIRE_THROWS_WITH(runs_of(kHeader, {"", {"stepz=1"}, {}}),
                        "--set: stepz: unknown parameter of task 'selftest' (did you mean 'steps'?)");
    REQUIRE_THROWS_WITH(runs_of(kHeader, {"", {"steps"}, {}}), "--set: cannot read 'steps': expected key=value");
  }
  SECTION("--seeds replaces the tier's seeds: a count, ranges and lists") {
    auto yaml = std::string(kHeader) + "sweep: {grid: {steps: [1, 2]}, seeds: 2}\n";
    auto seeds_of = [&](const std::string& text) {
      ExpandOptions o;
      o.seeds = text;
      std::vector<uint64_t> seeds;
      for (const auto& r : runs_of(yaml, o))
        if (r.params.get_int("steps") == 1) seeds.push_back(r.seed);
      return seeds;
    };
    CHECK(seeds_of("3") == std::vector<uint64_t>{0, 1, 2});  // as `seeds: 3` in a suite file
    CHECK(seeds_of("5-7") == std::vector<uint64_t>{5, 6, 7});
    CHECK(seeds_of("1,3,9") == std::vector<uint64_t>{1, 3, 9});
    CHECK(seeds_of("0-1,8") == std::vector<uint64_t>{0, 1, 8});
    CHECK(seeds_of("") == std::vector<uint64_t>{0, 1});  // not given: the file's
    struct Bad {
      const char* seeds;
      const char* why;
    };
    auto bad = GENERATE(values<Bad>({{"x", "'x' is not a seed"},
                                     {"0", "a count of 0 seeds"},
                                     {"4-2", "the range 4-2 runs backwards"},
                                     {"1,1", "seed 1 is given twice"},
                                     {"1,", "'' is not a seed"},
                                     {"-3", "'' is not a seed"}}));
    CAPTURE(bad.seeds);
    REQUIRE_THROWS_WITH(parse_seeds(bad.seeds), std::string("--seeds: cannot read '") + bad.seeds + "': " + bad.why +
                                                    " (a count: 5 for 0-4; a range: 0-9; a list: 1,3,7; or both: 0-4,9)");
  }
  SECTION("--sweep adds a grid axis, cartesian with the file's, or replaces the file's axis of that key") {
    auto yaml = std::string(kHeader) + "sweep: {points: [{name: a}, {name: b, sleep_ms: 1}], grid: {steps: [1, 2]}}\n";
    ExpandOptions o;
    o.sweeps = {"step_std=0.5,2"};
    auto runs = runs_of(yaml, o);
    REQUIRE(runs.size() == 2 * 2 * 2);
    CHECK(runs[0].point == "a steps=1 step_std=0.5");
    CHECK(runs[1].point == "a steps=1 step_std=2");
    CHECK(runs[1].params.get_float("step_std") == 2.0);
    CHECK(runs.back().point == "b steps=2 step_std=2");
    o.sweeps = {"steps=5,6,7"};
    runs = runs_of(yaml, o);
    REQUIRE(runs.size() == 2 * 3);
    CHECK(runs[2].point == "a steps=7");
    o.sweeps = {"weights=[1, 2],[3]"};  // a list-valued parameter: commas inside brackets stay
    runs = runs_of(yaml, o);
    REQUIRE(runs.size() == 2 * 2 * 2);
    CHECK(runs[1].params.get_float_list("weights") == std::vector<double>{3});
    o.sweeps = {"steps=1,2"};
    o.sets = {"steps=3"};
    REQUIRE_THROWS_WITH(runs_of(yaml, o), "--sweep steps and --set steps: give one (--set fixes it in every run)");
    o.sets = {};
    o.sweeps = {"stepz=1"};
    REQUIRE_THROWS_WITH(runs_of(yaml, o), "--sweep: stepz: unknown parameter of task 'selftest' (did you mean 'steps'?)");
    o.sweeps = {"steps=1,,2"};
    REQUIRE_THROWS_WITH(runs_of(yaml, o), "--sweep: steps: an empty value in '1,,2'");
    o.sweeps = {"steps"};
    REQUIRE_THROWS_WITH(runs_of(yaml, o), "--sweep: cannot read 'steps': expected key=value,value,... (e.g. lr=0.01,0.1)");
    o.sweeps = {"fail_at=1,2"};
    REQUIRE_THROWS_WITH(runs_of(std::string(kHeader) + "sweep: {zip: {fail_at: [1, 2], nan_at: [3, 4]}}\n", o),
                        "--sweep: fail_at is a zip axis of the sweep; --sweep replaces or adds grid axes");
  }
  SECTION("--filter keeps the runs where every expression holds") {
    auto yaml = std::string(kHeader) + "sweep: {grid: {steps: [1, 2, 3]}, seeds: 2}\n";
    CHECK(runs_of(yaml, {"", {}, {"steps>=2"}}).size() == 4);
    CHECK(runs_of(yaml, {"", {}, {"steps!=2", "seed=1"}}).size() == 2);
    REQUIRE_THROWS_WITH(runs_of(yaml, {"", {}, {"steps>5"}}), "t.yaml: sweep: expands to no runs after --filter");
    REQUIRE_THROWS_WITH(runs_of(yaml, {"", {}, {"stesp=1"}}), "--filter: stesp: unknown key (did you mean 'steps'?)");
  }
  SECTION("two points that resolve to the same run are an error") {
    REQUIRE_THROWS_WITH(runs_of(std::string(kHeader) + "sweep: {points: [{name: a, steps: 100}, {name: b}]}\n"),
                        "t.yaml: sweep: points 'a' and 'b' resolve to the same run (seed 0)");
    // --set can make two points equal; a --filter that keeps one of them runs it
    auto yaml = std::string(kHeader) + "sweep: {points: [{name: a, steps: 100}, {name: b, steps: 50}]}\n";
    REQUIRE_THROWS_WITH(runs_of(yaml, {"", {"steps=10"}, {}}),
                        "t.yaml: sweep: points 'a' and 'b' resolve to the same run (seed 0)");
    auto kept = runs_of(yaml, {"", {"steps=10"}, {"point=a"}});
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].params.get_int("steps") == 10);
  }
}

TEST_CASE("run ids depend on the resolved config and seed only", "[suite]") {
  auto id = [](const std::string& defaults, uint64_t seed = 0) {
    return runs_of("suite: t\ntask: matrix_sensing\ndefaults: " + defaults + "\nsweep: {seeds: [" +
                   std::to_string(seed) + "]}\n")[0]
        .id;
  };
  auto base = id("{lr: 0.05, init_scale: 0.001}");
  CHECK(base.size() == 16);
  CHECK(id("{init_scale: 0.001, lr: 0.05}") == base);  // key order
  CHECK(id("{lr: 5.0e-2, init_scale: 1e-3}") == base);  // number spelling
  CHECK(id("{lr: 0.050, init_scale: 0.0010}") == base);
  CHECK(id("{}") == base);  // the task's defaults are the same values
  CHECK(id("{lr: 0.05, init_scale: 0.001}", 1) != base);
  CHECK(id("{lr: 0.051}") != base);
  // Pinned: changing the hash or the canonical form orphans every stored baseline.
  CHECK(run_id("task=x;a=1;log_every=10;seed=0") == "095ba3fd041cd2f2");
  CHECK(canonical_config("selftest", Params(), 10, 3) == "task=selftest;log_every=10;seed=3");
}

TEST_CASE("a run's spec reaches the worker unchanged, empty strings included", "[suite][worker]") {
  auto runs = runs_of("suite: t\ntask: adversarial_training\ndefaults: {data_dir: /some/where, epsilon: 0.25}\n");
  REQUIRE(runs.size() == 1);
  REQUIRE(runs[0].params.get_string("cifar10_dir").empty());  // the task's default: no folder
  WorkerSpec spec;
  spec.runs = {runs[0]};
  auto back = decode_spec(encode_spec(spec)).runs.at(0);
  CHECK(back.params.get_string("cifar10_dir").empty());
  CHECK(canonical_config(back.task, back.params, 0, back.seed) ==
        canonical_config(runs[0].task, runs[0].params, 0, runs[0].seed));
}

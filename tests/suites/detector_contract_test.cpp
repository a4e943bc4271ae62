// What every shipped suite and its detector promise each other: the detector
// exists, its treatment names parameters its task has (a renamed parameter
// would otherwise silently stop twin matching), twins are matched by one rule,
// and the summaries it declares are the ones it writes.
#include <catch2/catch.hpp>

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "harness/sweep.h"
#include "results/store.h"
#include "suites/detector.h"
#include "support.h"
#include "tasks/task.h"

using namespace genbench;

TEST_CASE("every shipped suite names a registered detector whose treatment its task declares", "[suites][contract]") {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(test::source_path("configs")))
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  REQUIRE(files.size() >= 9);
  for (const auto& path : files) {
    CAPTURE(path);
    auto suite = load_suite(path);
    const auto* detector = find_detector(suite.detector);
    REQUIRE(detector);
    std::vector<std::string> names;
    for (const auto& spec : find_task(suite.task)->params()) names.push_back(spec.name);
    for (const auto& pattern : detector->treatment()) {
      CAPTURE(pattern);
      CHECK(std::any_of(names.begin(), names.end(), [&](const std::string& n) { return is_treatment(n, {pattern}); }));
    }
  }
}

TEST_CASE("every summary in every committed baseline is one its detector or task declares", "[suites][contract]") {
  // the declarations are what a claim's summary is checked against when a suite file is parsed
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::source_path("results/baselines"))) {
    if (e.path().extension() != ".h5") continue;
    auto file = read_results(e.path().string());
    const auto* detector = detector_for(file);
    const auto* task = find_task(file.root_string("task"));
    REQUIRE(detector);
    REQUIRE(task);
    auto declared = detector->summaries();
    for (const auto& name : task->summaries()) declared.push_back(name);
    auto is_declared = [&](const std::string& key) {
      return std::any_of(declared.begin(), declared.end(), [&](const std::string& d) {
        return d.find('*') != std::string::npos ? fnmatch(d.c_str(), key.c_str(), 0) == 0 : d == key;
      });
    };
    std::set<std::string> keys;
    for (const auto& r : file.runs)
      for (const auto& [k, v] : r.summaries) keys.insert(k);
    for (const auto& [k, v] : file.summaries) keys.insert(k);
    CHECK(keys.size() > 3);
    for (const auto& key : keys) {
      CAPTURE(e.path().filename().string(), key);
      CHECK(is_declared(key));
    }
    ++files;
  }
  CHECK(files >= 9);
}

TEST_CASE("a claim on a summary no one declares fails when the suite file is parsed, with the nearest name",
          "[suites][contract][claims]") {
  auto text = test::read_file(test::source_path("configs/matrix_sensing.yaml"));
  auto at = text.find("summary: decades_per_1k_steps");
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string("summary: decades_per_1k_steps").size(), "summary: decade_per_1k_steps");
  REQUIRE_THROWS_WITH(parse_suite(text, "ms.yaml"),
                      Catch::Contains("expect[2].summary: no summary 'decade_per_1k_steps' from detector 'matrix_sensing' "
                                      "or task 'matrix_sensing' (did you mean 'decades_per_1k_steps'?)") &&
                          Catch::StartsWith("ms.yaml:"));
}

TEST_CASE("twins differ only in the treatment, prefixes included", "[suites][contract]") {
  RunRecord a, b;
  a.task = b.task = "adversarial_training";
  a.params.set("epsilon", 0.2), b.params.set("epsilon", 0.2);
  a.params.set("training", std::string("fgsm")), b.params.set("training", std::string("pgd"));
  a.params.set("pgd_steps", int64_t{1}), b.params.set("pgd_steps", int64_t{3});
  const std::vector<std::string> treatment{"training", "pgd_*"};
  CHECK(is_treatment("pgd_alpha", treatment));
  CHECK_FALSE(is_treatment("pg", treatment));
  CHECK_FALSE(is_treatment("trainings", treatment));
  CHECK(are_twins(a, b, treatment));
  SECTION("another seed is no twin") {
    b.seed = 1;
    CHECK_FALSE(are_twins(a, b, treatment));
  }
  SECTION("another value outside the treatment is no twin") {
    b.params.set("epsilon", 0.3);
    CHECK_FALSE(are_twins(a, b, treatment));
  }
  SECTION("without the treatment the differing runs are no twins") {
    CHECK_FALSE(are_twins(a, b, {}));
  }
}

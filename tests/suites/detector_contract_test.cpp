// What every shipped suite and its detector promise each other: the detector
// exists, its treatment names parameters its task has (a renamed parameter
// would otherwise silently stop twin matching), and twins are matched by one rule.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "harness/sweep.h"
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

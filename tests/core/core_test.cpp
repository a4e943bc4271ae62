// The bottom layer: one median for everyone, the text helpers, the registry.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>

#include "core/registry.h"
#include "core/stats.h"
#include "core/text.h"

using namespace genbench;

TEST_CASE("the median of an even count is the mean of the two middle values", "[core][stats]") {
  CHECK(median({3.0}) == 3.0);
  CHECK(median({4.0, 1.0}) == 2.5);  // two seeds: bench-run, the report and the history all show 2.5
  CHECK(median({5.0, 1.0, 3.0}) == 3.0);
  CHECK(median({1.0, 2.0, 10.0, 4.0}) == 3.0);
}

TEST_CASE("quantiles interpolate between order statistics and agree with the median", "[core][stats]") {
  std::vector<double> v{7, 1, 3, 5};
  CHECK(quantile(v, 0.0) == 1.0);
  CHECK(quantile(v, 1.0) == 7.0);
  CHECK(quantile(v, 0.5) == median(v));
  CHECK(quantile(v, 0.25) == Approx(2.5));  // numpy.quantile([1, 3, 5, 7], 0.25)
}

TEST_CASE("mean, sample standard deviation and standard error", "[core][stats]") {
  std::vector<double> v{2, 4, 4, 4, 5, 5, 7, 9};
  CHECK(mean(v) == 5.0);
  CHECK(stddev(v) == Approx(std::sqrt(32.0 / 7)));
  CHECK(sem(v) == Approx(std::sqrt(32.0 / 7) / std::sqrt(8.0)));
  CHECK(stddev({3.0}) == 0.0);
  CHECK(std::isnan(mean({})));
  CHECK(mean_of({1.0, NAN, 3.0}) == 2.0);  // mean_of skips what is not finite; mean does not
  CHECK(std::isnan(mean({1.0, NAN})));
}

TEST_CASE("Mann-Whitney U p-values agree with scipy's mannwhitneyu, exact and with ties", "[core][stats]") {
  // the reference values: scipy.stats.mannwhitneyu(a, b).pvalue (scipy 1.10, two-sided)
  double u = -1;
  CHECK(mann_whitney_p({1, 2, 3}, {4, 5, 6}, &u) == Approx(0.1));  // 3 against 3: never below 0.1
  CHECK(u == 0);
  CHECK(mann_whitney_p({4, 5, 6}, {1, 2, 3}, &u) == Approx(0.1));
  CHECK(u == 9);
  CHECK(mann_whitney_p({1, 2, 3, 10}, {4, 5, 6}) == Approx(0.4));
  CHECK(mann_whitney_p({1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}) == Approx(0.0021645).epsilon(1e-4));
  CHECK(mann_whitney_p({1, 2, 2, 3}, {2, 4, 5, 6}) == Approx(0.10375367752098565).epsilon(1e-9));  // ties: normal
  CHECK(mann_whitney_p({1, 1, 1}, {1, 1, 1}) == 1.0);
  CHECK(std::isnan(mann_whitney_p({}, {1})));
}

TEST_CASE("did-you-mean suggests only close names", "[core][text]") {
  CHECK(nearest_name("tiers", {"tiers", "task"}) == "tiers");
  CHECK(nearest_name("tires", {"suite", "tiers"}) == "tiers");
  CHECK(nearest_name("zzzzzz", {"suite", "tiers"}).empty());
  CHECK(did_you_mean("stepz", {"steps", "seed"}) == " (did you mean 'steps'?)");
  CHECK(did_you_mean("zzzzzz", {"steps"}).empty());
}

TEST_CASE("CSV fields are quoted only when needed and split back unchanged", "[core][text]") {
  auto text = GENERATE(as<std::string>{}, "plain", "a,b", "say \"hi\"", "two\nlines", "", "k=2 lr=0.1");
  CAPTURE(text);
  auto line = csv_field("x") + "," + csv_field(text) + "," + csv_field("y");
  auto fields = split_csv_line(line);
  REQUIRE(fields.size() == 3);
  CHECK(fields[1] == text);
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("a,b") == "\"a,b\"");
}

TEST_CASE("join and split_lines", "[core][text]") {
  CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
  CHECK(join({}, ",").empty());
  CHECK(split_lines("lr=0.1\n\nseed=2\n") == std::vector<std::string>{"lr=0.1", "seed=2"});
}

namespace {
struct Named {
  std::string label;
  std::string name() const { return label; }
};
}  // namespace

TEST_CASE("a registry refuses a second entry of the same name", "[core][registry]") {
  Registry<Named> registry("widget");
  registry.add(std::make_unique<Named>(Named{"b"}));
  registry.add(std::make_unique<Named>(Named{"a"}));
  REQUIRE_THROWS_WITH(registry.add(std::make_unique<Named>(Named{"a"})),
                      "genbench: two widgets are registered as 'a'");
  CHECK(registry.names() == std::vector<std::string>{"a", "b"});
  CHECK(registry.find("b")->label == "b");
  CHECK(registry.find("c") == nullptr);
}

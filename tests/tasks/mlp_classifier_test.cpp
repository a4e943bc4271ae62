// The MLP classifier in-process: it learns, it is a function of its seed, and
// its parameter count is the architecture's.
#include "tasks/mlp_classifier.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <map>

#include "recorder.h"

using namespace genbench;
using test::Recorder;

namespace {

Recorder train(uint64_t seed, int64_t k = 16) {
  MlpClassifier task;
  auto params = default_params(task.params());
  params.set("n", int64_t{300});
  params.set("k", k);
  params.set("epochs", int64_t{60});
  params.set("n_test", int64_t{500});
  std::atomic<bool> stop{false};
  Recorder rec;
  torch::manual_seed(1234 + seed);  // the global generator must not matter
  task.run({params, seed, "cpu", 10, stop}, rec);
  return rec;
}

}  // namespace

TEST_CASE("the MLP learns Fashion-MNIST and is a function of its seed", "[tasks][mlp_classifier]") {
  auto a = train(3), b = train(3), c = train(4);
  CHECK(a.steps == std::vector<int64_t>{0, 10, 20, 30, 40, 50, 60});
  CHECK(a.rows["train_error"].front() > 0.8);  // chance, before training
  CHECK(a.rows["train_error"].back() < 0.5);
  CHECK(a.rows["test_error"].back() < 0.5);
  CHECK(a.rows == b.rows);  // bit for bit
  CHECK(a.rows != c.rows);
  // pooled 14 x 14 inputs: (196 + 1) * 16 + (16 + 1) * 10
  CHECK(a.summaries.at("parameters") == 197 * 16 + 17 * 10);
  // with 20% of the labels flipped, the clean labels are not what it fits
  CHECK(a.rows["train_error_clean"].front() != a.rows["train_error"].front());
}

namespace {

Params stack_params(int64_t k, int64_t epochs, int64_t batch_size = 64) {
  MlpClassifier task;
  auto params = default_params(task.params());
  params.set("n", int64_t{300});
  params.set("k", k);
  params.set("epochs", epochs);
  params.set("batch_size", batch_size);
  params.set("n_test", int64_t{500});
  return params;
}

}  // namespace

TEST_CASE("a stack of seeds and label noises trains every member bit for bit as it trains alone", "[tasks][mlp_classifier][stack]") {
  auto k = GENERATE(2, 8, 24);
  CAPTURE(k);
  std::vector<Params> params{stack_params(k, 12), stack_params(k, 12), stack_params(k, 12)};
  params[2].set("label_noise", 0.4);
  std::vector<uint64_t> seeds{0, 1, 2};
  auto stacked = test::train_stack(MlpClassifier(), params, seeds, 5);
  MlpClassifier task;
  std::atomic<bool> stop{false};
  for (size_t i = 0; i < params.size(); ++i) {
    CAPTURE(i);
    Recorder alone;
    task.run({params[i], seeds[i], "cpu", 5, stop}, alone);
    CHECK(stacked[i].steps == alone.steps);
    CHECK(stacked[i].summaries == alone.summaries);
    CHECK(stacked[i].rows == alone.rows);  // every metric, bit for bit
  }
}

TEST_CASE("the MLP stacks runs of one width that differ in seed and label noise", "[tasks][mlp_classifier][stack]") {
  MlpClassifier task;
  std::vector<Params> params;
  for (int64_t k : {8, 8, 8, 8, 8, 24, 24, 128, 128}) params.push_back(stack_params(k, 10));
  params[1].set("label_noise", 0.1);
  params[4].set("batch_size", int64_t{32});  // another batch size: never with the others
  std::vector<StackCandidate> runs;
  for (const auto& p : params) runs.push_back({&p, runs.size()});  // seeds 0, 1, ...: seeds may differ
  SECTION("on a CPU: narrow widths only, at most max_size a stack") {
    auto sorted = [](std::vector<std::vector<size_t>> groups) {
      std::sort(groups.begin(), groups.end());
      return groups;
    };
    CHECK(sorted(task.stacks(runs, "cpu", 0)) == std::vector<std::vector<size_t>>{{0, 1, 2, 3}, {5, 6}});
    CHECK(sorted(task.stacks(runs, "cpu", 3)) == std::vector<std::vector<size_t>>{{0, 1, 2}, {5, 6}});  // 3 runs alone
  }
  SECTION("on a GPU: every width") {
    auto groups = task.stacks(runs, "cuda:0", 0);
    std::sort(groups.begin(), groups.end());
    CHECK(groups == std::vector<std::vector<size_t>>{{0, 1, 2, 3}, {5, 6}, {7, 8}});
  }
  SECTION("members that differ in more are refused") {
    std::atomic<bool> stop{false};
    std::vector<RunContext> members{{params[0], 0, "cpu", 5, stop}, {params[5], 1, "cpu", 5, stop}};
    Recorder a, b;
    StackSinks sinks({&a, &b}, [](size_t, std::exception_ptr) {});
    REQUIRE_THROWS_WITH(task.run_stack(members, sinks),
                        "mlp_classifier: the members of a stack may differ only in seed and label_noise");
  }
}

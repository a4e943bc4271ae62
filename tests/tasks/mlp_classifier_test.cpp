// The MLP classifier in-process: it learns, it is a function of its seed, and
// its parameter count is the architecture's.
#include "tasks/mlp_classifier.h"

#include <catch2/catch.hpp>
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

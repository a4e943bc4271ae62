// The XOR-cluster task in-process: a function of its seed, logged at every
// one of the first steps, and the labels it flips are the ones it reports.
#include "tasks/xor_cluster.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "recorder.h"

using namespace genbench;
using test::Recorder;

namespace {

Recorder run(std::map<std::string, ParamValue> overrides, uint64_t seed = 0) {
  XorCluster task;
  auto params = default_params(task.params());
  params.set("d", int64_t{500});
  params.set("n_test", int64_t{400});
  params.set("steps", int64_t{30});
  for (auto& [k, v] : overrides) params.set(k, v);
  std::atomic<bool> stop{false};
  Recorder rec;
  task.run({params, seed, "cpu", 10, stop}, rec);
  return rec;
}

}  // namespace

TEST_CASE("xor_cluster depends only on its seed and logs its first steps", "[tasks][xor_cluster]") {
  auto a = run({}), b = run({}), c = run({}, 1);
  CHECK(a.steps == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30});
  CHECK(a.rows == b.rows);
  CHECK(a.rows != c.rows);
  // the initial weights are isotropic: 2 of d directions hold 2/d of their energy
  CHECK(a.rows["feature_alignment"].front() == Approx(2.0 / 500).epsilon(0.2));
  // ten flipped labels of 100: their accuracy moves in steps of 0.1
  for (double v : a.rows["train_accuracy_flipped"]) CHECK(v * 10 == Approx(std::round(v * 10)));
  // the overall accuracy is the clean and flipped accuracies, weighted 90:10
  for (size_t i = 0; i < a.steps.size(); ++i)
    CHECK(a.rows["train_accuracy"][i] ==
          Approx(0.9 * a.rows["train_accuracy_clean"][i] + 0.1 * a.rows["train_accuracy_flipped"][i]));
}

TEST_CASE("without label noise there is no flipped accuracy, and GD fits XOR", "[tasks][xor_cluster]") {
  auto rec = run({{"label_noise", 0.0}, {"steps", int64_t{50}}});
  CHECK(rec.rows.count("train_accuracy_flipped") == 0);
  CHECK(rec.rows["train_accuracy"].back() == 1.0);
  CHECK(rec.rows["train_loss"].back() < rec.rows["train_loss"].front());
}

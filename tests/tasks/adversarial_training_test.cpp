// The adversarial-training task in-process, on real Fashion-MNIST at a tiny
// size: a function of its seed, attacks that hurt, schedules that do what
// they say, and a clear refusal of a regulariser outside its ball.
#include "tasks/adversarial_training.h"
#include "tasks/attacks.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "recorder.h"

using namespace genbench;
using test::Recorder;

namespace {

Params small(std::map<std::string, ParamValue> overrides = {}) {
  AdversarialTraining task;
  auto params = default_params(task.params());
  params.set("n", int64_t{1000});
  params.set("n_eval", int64_t{200});
  params.set("epochs", int64_t{2});
  params.set("model", std::string("mlp"));
  params.set("eval_pgd_steps", int64_t{5});
  for (auto& [k, v] : overrides) params.set(k, v);
  return params;
}

Recorder train(const Params& params, uint64_t seed = 0, int64_t log_every = 1) {
  std::atomic<bool> stop{false};
  Recorder rec;
  torch::manual_seed(seed);  // the harness seeds the global generator (layer init) with the run's seed
  AdversarialTraining().run({params, seed, "cpu", log_every, stop}, rec);
  return rec;
}

}  // namespace

TEST_CASE("clean training learns, and the attacks take its accuracy away", "[tasks][adversarial_training]") {
  auto params = small({{"training", std::string("clean")}, {"epsilon", 0.2}});
  auto a = train(params), b = train(params), c = train(params, 1);
  CHECK(a.steps == std::vector<int64_t>{0, 1, 2});
  CHECK(a.rows == b.rows);
  CHECK(a.rows != c.rows);
  const auto& r = a.rows;
  CHECK(r.at("test_clean_accuracy").back() > 0.3);  // chance is 0.1; measured 0.425 after 16 minibatches
  CHECK(r.at("test_fgsm_accuracy").back() < r.at("test_clean_accuracy").back() - 0.2);
  CHECK(r.at("test_pgd_accuracy").back() <= r.at("test_fgsm_accuracy").back() + 0.02);
  CHECK(r.at("test_pgd_loss").back() > r.at("test_clean_loss").back());
  CHECK(r.at("train_clean_loss").back() < r.at("train_clean_loss").front());
}

TEST_CASE("learning-rate schedules", "[tasks][adversarial_training]") {
  SECTION("piecewise: x0.1 at epoch 1") {
    auto params = small({{"training", std::string("clean")}, {"lr_schedule", std::string("piecewise")},
                         {"lr_drops", std::vector<double>{1.0}}});
    auto lr = train(params).rows.at("lr");
    CHECK(lr[1] == Approx(0.005));  // the last minibatch of epoch 1 is at epoch 1.0: dropped
    CHECK(lr[2] == Approx(0.005));
  }
  SECTION("cyclic: back to 0 at the end") {
    auto lr = train(small({{"training", std::string("clean")}, {"lr_schedule", std::string("cyclic")}})).rows.at("lr");
    CHECK(lr[1] == Approx(0.05));  // the peak, mid-training
    CHECK(lr[2] == Approx(0.0).margin(1e-12));
  }
}

TEST_CASE("every training mode and regulariser trains", "[tasks][adversarial_training]") {
  auto mode = GENERATE(as<std::map<std::string, ParamValue>>{},
                       std::map<std::string, ParamValue>{{"training", std::string("fgsm")}},
                       std::map<std::string, ParamValue>{{"training", std::string("pgd")}, {"pgd_steps", int64_t{2}}},
                       std::map<std::string, ParamValue>{{"regularizer", std::string("gradalign")}, {"reg_lambda", 0.2}},
                       std::map<std::string, ParamValue>{{"regularizer", std::string("elle")}, {"reg_lambda", 100.0}},
                       std::map<std::string, ParamValue>{{"regularizer", std::string("elle_a")}, {"reg_lambda", 100.0}},
                       std::map<std::string, ParamValue>{{"hidden", int64_t{64}}},
                       std::map<std::string, ParamValue>{{"norm", std::string("l2")}, {"epsilon", 1.5},
                                                         {"training", std::string("pgd")}, {"pgd_steps", int64_t{2}},
                                                         {"pgd_step_size", 0.5}, {"model", std::string("cnn_bn")}});
  auto params = small(mode);
  params.set("epochs", int64_t{1});
  params.set("epsilon", mode.count("epsilon") ? params.get_float("epsilon") : 0.1);
  REQUIRE(AdversarialTraining().check(params).empty());
  auto rec = train(params);
  for (const auto& [name, values] : rec.rows)
    for (double v : values) {
      CAPTURE(name);
      CHECK(std::isfinite(v));
    }
  CHECK(rec.rows.at("train_clean_loss").back() < rec.rows.at("train_clean_loss").front());
}

TEST_CASE("GradAlign and ELLE are defined for the l-inf ball only", "[tasks][adversarial_training]") {
  auto params = small({{"norm", std::string("l2")}, {"regularizer", std::string("gradalign")}});
  CHECK(AdversarialTraining().check(params) == "regularizer gradalign is defined for the linf ball, found norm l2");
}

TEST_CASE("metrics every log_every epochs, and at the last", "[tasks][adversarial_training]") {
  auto params = small({{"training", std::string("clean")}, {"epochs", int64_t{3}}});
  auto rec = train(params, 0, 2);
  CHECK(rec.steps == std::vector<int64_t>{0, 2, 3});
  CHECK(rec.rows.at("test_pgd_accuracy").size() == 3);
}

TEST_CASE("ELLE-A's weight: the full lambda after a spike in the error, then a decay", "[tasks][adversarial_training]") {
  ElleAdaptiveWeight weight(1000.0, 0.5, 2.0);
  for (double error : {1.0, 1.2, 0.8}) weight.observe(error);
  CHECK(weight.value() == 0.0);  // no history to judge the first three by
  weight.observe(1.1);  // mean 1, standard deviation 0.16: no spike
  CHECK(weight.value() == 0.0);
  weight.observe(5.0);
  CHECK(weight.value() == 1000.0);
  weight.observe(1.0);
  CHECK(weight.value() == 500.0);
  weight.observe(1.0);
  CHECK(weight.value() == 250.0);
  SECTION("a spike must clear sensitivity standard deviations of all the errors before it") {
    weight.observe(2.2);  // history: mean 1.59, sd 1.40 (the 5.0 in it): under mean + 2 sd
    CHECK(weight.value() == 125.0);
  }
}

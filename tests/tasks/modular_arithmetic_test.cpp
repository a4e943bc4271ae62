// The modular-arithmetic task in-process: its tables are the arithmetic,
// both models learn, it is a function of its seed, and the gradient
// transforms do what they claim.
#include "tasks/modular_arithmetic.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <map>

#include "recorder.h"

using namespace genbench;
using test::Recorder;

namespace {

Params small(std::map<std::string, ParamValue> overrides = {}) {
  ModularArithmetic task;
  auto params = default_params(task.params());
  params.set("p", int64_t{23});
  params.set("width", int64_t{64});
  params.set("epochs", int64_t{100});
  params.set("lr", 1e-2);
  params.set("train_fraction", 0.5);
  for (auto& [k, v] : overrides) params.set(k, v);
  REQUIRE(task.check(params).empty());
  return params;
}

Recorder train(const Params& params, uint64_t seed = 0, int64_t log_every = 10) {
  std::atomic<bool> stop{false};
  Recorder rec;
  torch::manual_seed(1234 + seed);  // the global generator must not matter
  ModularArithmetic().run({params, seed, "cpu", log_every, stop}, rec);
  return rec;
}

}  // namespace

TEST_CASE("modular tables are the arithmetic mod p", "[tasks][modular_arithmetic]") {
  const int64_t p = 13;
  auto op = GENERATE(as<std::string>{}, "add", "sub", "mul", "div", "quadratic");
  CAPTURE(op);
  auto t = modular_table(p, op);
  REQUIRE(t.y.size() == static_cast<size_t>(op == "div" ? p * (p - 1) : p * p));
  for (size_t i = 0; i < t.y.size(); ++i) {
    int64_t a = t.a[i], b = t.b[i], y = t.y[i];
    CAPTURE(a, b, y);
    REQUIRE((0 <= y && y < p));
    if (op == "add") REQUIRE((a + b) % p == y);
    if (op == "sub") REQUIRE((y + b) % p == a);
    if (op == "mul") REQUIRE(a * b % p == y);
    if (op == "div") REQUIRE(y * b % p == a);  // y = a / b  <=>  y b = a
    if (op == "quadratic") REQUIRE((a * a + a * b + b * b) % p == y);
  }
}

TEST_CASE("modular arithmetic rejects a composite p and heads that do not divide d_model",
          "[tasks][modular_arithmetic]") {
  ModularArithmetic task;
  auto params = default_params(task.params());
  params.set("p", int64_t{100});
  CHECK(task.check(params) == "p must be prime, found 100");
  params.set("p", int64_t{97});
  params.set("model", std::string("transformer"));
  params.set("heads", int64_t{3});
  CHECK(task.check(params) == "heads must divide d_model, found d_model 128 and heads 3");
}

TEST_CASE("the MLP memorizes its training pairs and is a function of its seed", "[tasks][modular_arithmetic]") {
  auto params = small();
  auto a = train(params, 3), b = train(params, 3), c = train(params, 4);
  CHECK(a.steps.front() == 0);
  CHECK(a.steps.back() == 100);
  CHECK(a.rows["train_accuracy"].front() < 0.2);  // chance is 1/23
  CHECK(a.rows["train_accuracy"].back() == 1.0);
  CHECK(a.rows == b.rows);  // bit for bit
  CHECK(a.rows != c.rows);
  // no biases: (2p) w + w w + w p
  CHECK(a.summaries.at("parameters") == 46 * 64 + 64 * 64 + 64 * 23);
  CHECK(a.summaries.at("train_size") == 264);  // floor(0.5 * 529)
  CHECK(a.summaries.at("test_size") == 265);
}

TEST_CASE("the transformer, StableMax and MSE losses learn too", "[tasks][modular_arithmetic]") {
  SECTION("transformer") {
    auto rec = train(small({{"model", std::string("transformer")}, {"d_model", int64_t{32}}, {"heads", int64_t{4}},
                            {"mlp_width", int64_t{64}}, {"lr", 3e-3}, {"epochs", int64_t{200}}}),
                     0, 50);
    CHECK(rec.rows["train_accuracy"].front() < 0.2);
    CHECK(rec.rows["train_accuracy"].back() > 0.9);
    // initialized near uniform: the loss starts at about log p (an unembedding
    // drawn like the embeddings, N(0, 1), once started it at 11.5)
    CHECK(rec.rows["train_loss"].front() < std::log(23.0) + 0.5);
  }
  SECTION("stablemax") {
    auto rec = train(small({{"loss", std::string("stablemax")}}));
    CHECK(rec.rows["train_accuracy"].back() == 1.0);
    CHECK(rec.rows["train_loss"].back() < rec.rows["train_loss"].front());
  }
  SECTION("mse on one-hot targets") {
    auto rec = train(small({{"loss", std::string("mse")}, {"lr", 1e-3}, {"weight_decay", 0.0}, {"epochs", int64_t{300}}}));
    CHECK(rec.rows["train_accuracy"].back() > 0.9);
  }
}

TEST_CASE("⊥Grad steps are orthogonal to the weights, so plain SGD only grows them", "[tasks][modular_arithmetic]") {
  // w' = w - lr g with g.w = 0 gives |w'|^2 = |w|^2 + lr^2 |g|^2.
  auto common = std::map<std::string, ParamValue>{
      {"optimizer", std::string("sgd")}, {"weight_decay", 0.0}, {"lr", 0.5}, {"epochs", int64_t{50}}};
  auto plain = train(small(common), 0, 1);
  common["orthogonal_grad"] = true;
  auto orthogonal = train(small(common), 0, 1);
  const auto& norms = orthogonal.rows["weight_norm"];
  for (size_t i = 1; i < norms.size(); ++i) {
    CAPTURE(i);
    CHECK(norms[i] >= norms[i - 1] * (1 - 1e-12));
  }
  CHECK(norms.back() > norms.front());
  CHECK(plain.rows["weight_norm"] != norms);
}

TEST_CASE("Grokfast filters change the trajectory, and stop_test_accuracy ends a run early",
          "[tasks][modular_arithmetic]") {
  auto none = train(small());
  auto ema = train(small({{"grokfast", std::string("ema")}}));
  auto ma = train(small({{"grokfast", std::string("ma")}, {"grokfast_window", int64_t{5}}}));
  CHECK(ema.rows["train_loss"] != none.rows["train_loss"]);
  CHECK(ma.rows["train_loss"] != none.rows["train_loss"]);
  CHECK(ma.rows["train_loss"][0] == none.rows["train_loss"][0]);  // before any step

  auto stopped = train(small({{"stop_test_accuracy", 1e-9}}));  // reached at the first logged epoch
  CHECK(stopped.steps == std::vector<int64_t>{0});
}

TEST_CASE("a stack of seeds and init scales trains every member bit for bit as it trains alone",
          "[tasks][modular_arithmetic][stack]") {
  auto variant = GENERATE(as<std::map<std::string, ParamValue>>{},
                          std::map<std::string, ParamValue>{{"batch_size", int64_t{64}}},
                          std::map<std::string, ParamValue>{{"grokfast", std::string("ema")}, {"warmup_steps", int64_t{7}}},
                          std::map<std::string, ParamValue>{{"grokfast", std::string("ma")}, {"grokfast_window", int64_t{5}}},
                          std::map<std::string, ParamValue>{{"dtype", std::string("float32")}, {"depth", int64_t{3}}},
                          std::map<std::string, ParamValue>{{"stop_test_accuracy", 0.1}, {"train_fraction", 0.8}, {"epochs", int64_t{300}}});
  std::string name;
  for (const auto& [k, v] : variant) name += k + "=" + format_value(v) + " ";
  CAPTURE(name);
  variant.emplace("epochs", int64_t{30});
  std::vector<Params> params{small(variant), small(variant), small(variant)};
  params[2].set("init_scale", 0.5);
  std::vector<uint64_t> seeds{0, 1, 2};
  auto stacked = test::train_stack(ModularArithmetic(), params, seeds, 5);
  std::vector<std::vector<int64_t>> steps;
  for (size_t i = 0; i < params.size(); ++i) {
    CAPTURE(i);
    auto alone = train(params[i], seeds[i], 5);
    CHECK(stacked[i].steps == alone.steps);
    CHECK(stacked[i].summaries == alone.summaries);
    CHECK(stacked[i].rows == alone.rows);  // every metric, bit for bit
    steps.push_back(alone.steps);
  }
  if (params[0].get_float("stop_test_accuracy") > 0) {  // the members end apart: one stops while the others go on
    CHECK(stacked[0].summaries.count("stopped_early_at"));
    CHECK((steps[0] != steps[1] || steps[1] != steps[2]));
  }
}

TEST_CASE("the grokking MLP stacks on a GPU only, runs equal but for seed and init_scale",
          "[tasks][modular_arithmetic][stack]") {
  ModularArithmetic task;
  std::vector<Params> params{small(), small(), small(), small({{"init_scale", 0.5}}), small({{"lr", 1e-3}}),
                             small({{"model", std::string("transformer")}}), small({{"model", std::string("transformer")}}),
                             small({{"orthogonal_grad", true}}), small({{"orthogonal_grad", true}}),
                             small({{"dtype", std::string("float32")}}), small({{"dtype", std::string("float32")}})};
  std::vector<StackCandidate> runs;
  for (const auto& p : params) runs.push_back({&p, runs.size()});
  auto sorted = [](std::vector<std::vector<size_t>> groups) {
    std::sort(groups.begin(), groups.end());
    return groups;
  };
  SECTION("not on a CPU, where a stack is slower than its runs one by one") { CHECK(task.stacks(runs, "cpu", 0).empty()); }
  SECTION("on a GPU: the relu MLP without ⊥Grad, at most max_size a stack") {
    CHECK(sorted(task.stacks(runs, "cuda:0", 0)) == std::vector<std::vector<size_t>>{{0, 1, 2, 3}, {9, 10}});
    CHECK(sorted(task.stacks(runs, "cuda:0", 2)) == std::vector<std::vector<size_t>>{{0, 1}, {2, 3}, {9, 10}});
  }
  SECTION("members that differ in more, or that no stack trains, are refused") {
    std::atomic<bool> stop{false};
    Recorder a, b;
    StackSinks sinks({&a, &b}, [](size_t, std::exception_ptr) {});
    std::vector<RunContext> other_lr{{params[0], 0, "cpu", 5, stop}, {params[4], 1, "cpu", 5, stop}};
    REQUIRE_THROWS_WITH(task.run_stack(other_lr, sinks),
                        "modular_arithmetic: the members of a stack may differ only in seed and init_scale");
    std::vector<RunContext> orthogonal{{params[7], 0, "cpu", 5, stop}, {params[8], 1, "cpu", 5, stop}};
    REQUIRE_THROWS_WITH(task.run_stack(orthogonal, sinks),
                        "modular_arithmetic: a stack trains the relu MLP without biases on cross-entropy, "
                        "without orthogonal_grad");
  }
}

// `selftest`: a task that exercises the harness itself — failures, divergence,
// crashes and slow steps on demand — so a new installation (and the harness's
// own tests) can check that every path ends as documented.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/run_id.h"
#include "tasks/task.h"

namespace genbench {

class SelfTest : public Task {
 public:
  std::string name() const override { return "selftest"; }
  int64_t last_step(const Params& params) const override { return params.get_int("steps"); }
  std::vector<std::string> summaries() const override { return {"final_position", "received_id_*"}; }
  std::string summary() const override {
    return "harness self-test: a seeded random walk that can fail, diverge, crash or sleep on demand";
  }
  std::vector<ParamSpec> params() const override {
    return {
        int_param("steps", 100, "steps of the random walk", 0),
        float_param("step_std", 1.0, "std of each Gaussian increment", 0),
        int_param("fail_at", -1, "throw a TaskError at this step (-1: never)", -1),
        int_param("nan_at", -1, "log a nan loss from this step on (-1: never)", -1),
        int_param("crash_at", -1, "abort() the process at this step (-1: never)", -1),
        int_param("sleep_ms", 0, "sleep this long every step", 0),
        // Values of every type for the worker-protocol tests: the run reports
        // the hash of the config it received, which must be its own run id.
        ParamSpec{"label", ParamType::String, std::string(), "any text; part of the config hash it reports", {}, {}, {}},
        int_param("count", 0, "any integer; part of the config hash it reports"),
        float_list_param("weights", {}, "any floats; part of the config hash it reports"),
    };
  }
  void run(const RunContext& ctx, MetricSink& sink) const override {
    const auto& p = ctx.params;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
    auto steps = p.get_int("steps");
    auto increments = torch::randn({steps + 1}, gen, torch::kFloat64) * p.get_float("step_std");
    auto walk = increments.cumsum(0);
    const double* x = walk.data_ptr<double>();
    for (int64_t t = 0; t <= steps && !ctx.stop; ++t) {
      if (t == p.get_int("fail_at")) throw TaskError("selftest: failing at step " + std::to_string(t) + " as asked");
      if (t == p.get_int("crash_at")) std::abort();
      if (p.get_int("sleep_ms") > 0) std::this_thread::sleep_for(std::chrono::milliseconds(p.get_int("sleep_ms")));
      bool nan = p.get_int("nan_at") >= 0 && t >= p.get_int("nan_at");
      if (t % ctx.log_every == 0 || t == steps)
        sink.log(t, {{"loss", nan ? std::nan("") : x[t] * x[t]}, {"position", x[t]}});
    }
    sink.summary("final_position", x[steps]);
    // The run id of the config as the worker received it, in two exact halves:
    // equal to the parent's id only if every value arrived unchanged.
    auto id = std::stoull(run_id(canonical_config(name(), p, ctx.log_every, ctx.seed)), nullptr, 16);
    sink.summary("received_id_high", static_cast<double>(id >> 32));
    sink.summary("received_id_low", static_cast<double>(id & 0xffffffffu));
  }
};

GENBENCH_REGISTER_TASK(SelfTest);

}  // namespace genbench

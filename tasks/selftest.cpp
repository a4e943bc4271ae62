// `selftest`: a task that exercises the harness itself — failures, divergence,
// crashes and slow steps on demand — so a new installation (and the harness's
// own tests) can check that every path ends as documented.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/run_id.h"
#include "tasks/stacking.h"
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
        bool_param("stackable", false, "runs of equal steps and sleep_ms may train as one stack (bench-run --stack)"),
    };
  }
  // The stacked path of the harness, on demand: members differ in anything
  // but steps and sleep_ms, and each fails, diverges or crashes on its own.
  std::vector<std::vector<size_t>> stacks(const std::vector<StackCandidate>& runs, const std::string& /*device*/,
                                          int64_t max_size) const override {
    return stacks_of_equal_params(runs, {"step_std", "fail_at", "nan_at", "crash_at", "label", "count", "weights"},
                                  max_size, [](const Params& p) { return p.get_bool("stackable"); });
  }
  void run_stack(const std::vector<RunContext>& members, StackSinks& sinks) const override {
    const auto steps = members[0].params.get_int("steps"), sleep_ms = members[0].params.get_int("sleep_ms");
    std::vector<torch::Tensor> walks;
    for (const auto& ctx : members) walks.push_back(walk_of(ctx));
    for (int64_t t = 0; t <= steps && !members[0].stop && sinks.active_count() > 0; ++t) {
      if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
      for (size_t i = 0; i < members.size(); ++i) {
        if (!sinks.active(i)) continue;
        const auto& p = members[i].params;
        if (t == p.get_int("fail_at")) {
          sinks.fail(i, std::make_exception_ptr(TaskError("selftest: failing at step " + std::to_string(t) + " as asked")));
          continue;
        }
        if (t == p.get_int("crash_at")) std::abort();
        if (t % members[i].log_every == 0 || t == steps) sinks.log(i, t, row(p, walks[i].data_ptr<double>()[t], t));
      }
    }
    if (members[0].stop) return;
    for (size_t i = 0; i < members.size(); ++i)
      if (sinks.active(i)) summaries(members[i], walks[i].data_ptr<double>()[steps], sinks.member(i));
  }
  void run(const RunContext& ctx, MetricSink& sink) const override {
    const auto& p = ctx.params;
    auto steps = p.get_int("steps");
    auto walk = walk_of(ctx);
    const double* x = walk.data_ptr<double>();
    for (int64_t t = 0; t <= steps && !ctx.stop; ++t) {
      if (t == p.get_int("fail_at")) throw TaskError("selftest: failing at step " + std::to_string(t) + " as asked");
      if (t == p.get_int("crash_at")) std::abort();
      if (p.get_int("sleep_ms") > 0) std::this_thread::sleep_for(std::chrono::milliseconds(p.get_int("sleep_ms")));
      if (t % ctx.log_every == 0 || t == steps) sink.log(t, row(p, x[t], t));
    }
    summaries(ctx, x[steps], sink);
  }

 private:
  static torch::Tensor walk_of(const RunContext& ctx) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(ctx.seed);
    auto increments = torch::randn({ctx.params.get_int("steps") + 1}, gen, torch::kFloat64) * ctx.params.get_float("step_std");
    return increments.cumsum(0);
  }
  static Metrics row(const Params& p, double x, int64_t t) {
    bool nan = p.get_int("nan_at") >= 0 && t >= p.get_int("nan_at");
    return {{"loss", nan ? std::nan("") : x * x}, {"position", x}};
  }
  void summaries(const RunContext& ctx, double final_position, MetricSink& sink) const {
    const auto& p = ctx.params;
    sink.summary("final_position", final_position);
    // The run id of the config as the worker received it, in two exact halves:
    // equal to the parent's id only if every value arrived unchanged.
    auto id = std::stoull(run_id(canonical_config(name(), p, ctx.log_every, ctx.seed)), nullptr, 16);
    sink.summary("received_id_high", static_cast<double>(id >> 32));
    sink.summary("received_id_low", static_cast<double>(id & 0xffffffffu));
  }
};

GENBENCH_REGISTER_TASK(SelfTest);

}  // namespace genbench

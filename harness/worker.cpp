#include "harness/worker.h"

#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

namespace genbench {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_terminate(int) { g_stop = true; }

bool write_all(int fd, const std::string& bytes) {
  for (size_t done = 0; done < bytes.size();) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void EncodingSink::log(int64_t step, const Metrics& metrics) {
  if (step <= last_step_)
    throw TaskError("metric steps must increase: step " + std::to_string(step) + " after " +
                    std::to_string(last_step_));
  last_step_ = step;
  enc_.log(step, metrics);  // the non-finite row is kept: it is the evidence
  for (const auto& [name, value] : metrics)
    if (!std::isfinite(value))
      throw DivergedError("metric '" + name + "' is " + (std::isnan(value) ? "nan" : "inf") + " at step " +
                          std::to_string(step));
  last_good_step_ = step;
  maybe_flush(false);
}

void EncodingSink::summary(const std::string& key, double value) { enc_.summary(key, value); }

void EncodingSink::finish(const RunOutcome& outcome, const std::string& device) {
  enc_.end(outcome.status, outcome.error, last_good_step_, outcome.wall_s, device);
  maybe_flush(true);
}

void EncodingSink::maybe_flush(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (force || enc_.bytes().size() >= (1u << 16) || now - last_flush_ >= std::chrono::seconds(1)) {
    flush_(enc_.bytes());
    enc_.clear();
    last_flush_ = now;
  }
}

RunOutcome outcome_of(std::exception_ptr why) {
  RunOutcome out;
  try {
    std::rethrow_exception(why);
  } catch (const DivergedError& e) {
    out.status = RunStatus::Diverged;
    out.error = e.what();
  } catch (const c10::Error& e) {
    out.status = RunStatus::Failed;
    out.error = e.what_without_backtrace();
  } catch (const std::exception& e) {
    out.status = RunStatus::Failed;
    out.error = e.what();
  } catch (...) {
    out.status = RunStatus::Failed;
    out.error = "unknown exception";
  }
  return out;
}

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

RunOutcome run_task(const Task& task, const RunContext& ctx, MetricSink& sink) {
  RunOutcome out;
  auto t0 = std::chrono::steady_clock::now();
  try {
    task.run(ctx, sink);
    if (ctx.stop) out.status = RunStatus::Interrupted;
  } catch (...) {
    out = outcome_of(std::current_exception());
  }
  out.wall_s = seconds_since(t0);
  return out;
}

void run_stack_task(const Task& task, const std::vector<RunContext>& members, const std::vector<MetricSink*>& sinks,
                    const std::function<void(size_t, const RunOutcome&)>& ended) {
  auto t0 = std::chrono::steady_clock::now();
  StackSinks stack(sinks, [&](size_t i, std::exception_ptr why) {
    auto out = outcome_of(why);
    out.wall_s = seconds_since(t0);
    ended(i, out);
  });
  RunOutcome rest;  // of every member still active when the task returns
  try {
    task.run_stack(members, stack);
    if (!members.empty() && members[0].stop) rest.status = RunStatus::Interrupted;
  } catch (...) {
    rest = outcome_of(std::current_exception());
  }
  rest.wall_s = seconds_since(t0);
  for (size_t i = 0; i < members.size(); ++i)
    if (stack.active(i)) ended(i, rest);
}

std::string resolve_device(const std::string& requested) {
  if (requested == "auto") return torch::cuda::is_available() ? "cuda:0" : "cpu";
  std::optional<torch::Device> dev;
  try {
    dev.emplace(requested);
  } catch (const c10::Error&) {
    throw ConfigError("--device: cannot read '" + requested + "': expected cpu, cuda, cuda:N or auto");
  }
  if (dev->is_cpu()) return "cpu";
  if (!dev->is_cuda()) throw ConfigError("--device: '" + requested + "' is not supported: expected cpu or cuda");
  auto count = torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
  if (count == 0)
    throw ConfigError("--device: " + requested + " requested, but this LibTorch " + torch_version() +
                      " sees no CUDA device");
  auto index = dev->has_index() ? dev->index() : 0;
  if (index >= count)
    throw ConfigError("--device: " + requested + " requested, but only " + std::to_string(count) +
                      " CUDA device(s) exist");
  return "cuda:" + std::to_string(index);
}

std::vector<std::string> spread_devices(const std::string& requested, const std::string& resolved, int64_t gpus) {
  if (resolved == "cpu" || (requested != "cuda" && requested != "auto") || gpus < 2) return {resolved};
  std::vector<std::string> all;
  for (int64_t i = 0; i < gpus; ++i) all.push_back("cuda:" + std::to_string(i));
  return all;
}

std::vector<std::string> resolve_devices(const std::string& requested) {
  const auto resolved = resolve_device(requested);
  const int64_t gpus = resolved == "cpu" ? 0 : static_cast<int64_t>(torch::cuda::device_count());
  return spread_devices(requested, resolved, gpus);
}

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

static bool read_exact(int fd, void* dst, size_t size) {
  auto* p = static_cast<char*>(dst);
  while (size > 0) {
    auto n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

namespace {

// float32 means float32 on a GPU too: cuDNN's convolutions would otherwise
// round float32 operands to TF32 (a 10-bit mantissa) on Ampere and later,
// which moves what the float32 suites measure (catastrophic overfitting's
// tipping point, softmax collapse) for no reason a researcher chose; cuBLAS's
// TF32 is off by default in LibTorch and is kept off. cuDNN picks
// deterministic algorithms, without timing them, so a rerun on the same GPU
// repeats. The flags touch only the CUDA backends.
void float32_exact_on_gpus() {
  auto& context = at::globalContext();
  context.setAllowTF32CuDNN(false);
  context.setAllowTF32CuBLAS(false);
  context.setDeterministicCuDNN(true);
  context.setBenchmarkCuDNN(false);
}

}  // namespace

int worker_main() {
  // The protocol owns the real stdout; anything else printed goes to stderr,
  // which the parent keeps for the error message of a crashed run.
  int out_fd = ::dup(STDOUT_FILENO);
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  std::signal(SIGINT, SIG_IGN);  // the parent decides; it sends SIGTERM
  std::signal(SIGTERM, on_terminate);
  float32_exact_on_gpus();

  for (;;) {  // one spec (a run or a stack) after another, until the parent closes our stdin
    uint32_t size = 0;
    std::string text;
    if (!read_exact(STDIN_FILENO, &size, sizeof size)) break;
    text.resize(size);
    if (!read_exact(STDIN_FILENO, text.data(), size)) break;

    auto flush = [&](const std::string& bytes) {
      if (!write_all(out_fd, bytes)) _exit(3);  // the parent is gone
    };
    WorkerSpec spec;
    try {
      spec = decode_spec(text);
    } catch (const std::exception& e) {
      // The members of a spec it cannot read are unknown: the parent fails
      // them all with this line as the worker's last output.
      std::fprintf(stderr, "%s\n", e.what());
      ::close(out_fd);
      return 2;
    }
    std::vector<std::unique_ptr<EncodingSink>> sinks;
    for (size_t i = 0; i < spec.runs.size(); ++i)
      sinks.push_back(std::make_unique<EncodingSink>(flush, static_cast<uint32_t>(i)));
    std::string device;
    try {
      for (const auto& run : spec.runs)
        if (run.task != spec.runs[0].task)
          throw ConfigError("worker: a stack mixes tasks " + spec.runs[0].task + " and " + run.task);
      torch::set_num_threads(static_cast<int>(spec.threads));
      device = resolve_device(spec.device);
    } catch (const std::exception& e) {  // nothing ran: every member fails with why
      RunOutcome failed;
      failed.status = RunStatus::Failed;
      failed.error = e.what();
      for (auto& sink : sinks) sink->finish(failed, device);
      continue;
    }
    const Task& task = *find_task(spec.runs[0].task);
    if (spec.runs.size() == 1) {
      // Runs share this process one after another: seeding the global
      // generator too keeps a task that draws from it (module init) a
      // function of its own seed, whichever runs came before.
      const auto& run = spec.runs[0];
      torch::manual_seed(run.seed);
      RunContext ctx{run.params, run.seed, device, run.log_every, g_stop};
      sinks[0]->finish(run_task(task, ctx, *sinks[0]), device);
    } else {
      // A stacked task draws only from its members' own generators; the
      // global one is seeded from the first member, so it is still a
      // function of the stack alone.
      torch::manual_seed(spec.runs[0].seed);
      std::vector<RunContext> members;
      std::vector<MetricSink*> member_sinks;
      for (size_t i = 0; i < spec.runs.size(); ++i) {
        const auto& run = spec.runs[i];
        members.push_back(RunContext{run.params, run.seed, device, run.log_every, g_stop});
        member_sinks.push_back(sinks[i].get());
      }
      run_stack_task(task, members, member_sinks, [&](size_t i, const RunOutcome& outcome) {
        sinks[i]->finish(outcome, device);
      });
    }
  }
  ::close(out_fd);
  return 0;
}

}  // namespace genbench

#include "harness/worker.h"

#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <iostream>
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

RunOutcome run_task(const Task& task, const RunContext& ctx, MetricSink& sink) {
  RunOutcome out;
  auto t0 = std::chrono::steady_clock::now();
  try {
    task.run(ctx, sink);
    if (ctx.stop) out.status = RunStatus::Interrupted;
  } catch (const DivergedError& e) {
    out.status = RunStatus::Diverged;
    out.error = e.what();
  } catch (const c10::Error& e) {
    out.status = RunStatus::Failed;
    out.error = e.what_without_backtrace();
  } catch (const std::exception& e) {
    out.status = RunStatus::Failed;
    out.error = e.what();
  }
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
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

int worker_main() {
  // The protocol owns the real stdout; anything else printed goes to stderr,
  // which the parent keeps for the error message of a crashed run.
  int out_fd = ::dup(STDOUT_FILENO);
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  std::signal(SIGINT, SIG_IGN);  // the parent decides; it sends SIGTERM
  std::signal(SIGTERM, on_terminate);

  for (;;) {  // one run per spec, until the parent closes our stdin
    uint32_t size = 0;
    std::string text;
    if (!read_exact(STDIN_FILENO, &size, sizeof size)) break;
    text.resize(size);
    if (!read_exact(STDIN_FILENO, text.data(), size)) break;

    EncodingSink sink([&](const std::string& bytes) {
      if (!write_all(out_fd, bytes)) _exit(3);  // the parent is gone
    });
    RunOutcome outcome;
    std::string device;
    try {
      auto spec = decode_spec(text);
      torch::set_num_threads(static_cast<int>(spec.threads));
      device = resolve_device(spec.device);
      // Runs share this process one after another: seeding the global
      // generator too keeps a task that draws from it (module init) a
      // function of its own seed, whichever runs came before.
      torch::manual_seed(spec.run.seed);
      RunContext ctx{spec.run.params, spec.run.seed, device, spec.run.log_every, g_stop};
      outcome = run_task(*find_task(spec.run.task), ctx, sink);
    } catch (const std::exception& e) {
      outcome.status = RunStatus::Failed;
      outcome.error = e.what();
    }
    sink.finish(outcome, device);
  }
  ::close(out_fd);
  return 0;
}

}  // namespace genbench

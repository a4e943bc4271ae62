// What the result store costs per run as a sweep grows: sweeps of 100, 1,000
// and 10,000 synthetic runs (2,000 logged steps of two metrics each, the size
// of a `selftest` run, committed one by one as bench-run does, with a
// checkpoint of two runs in progress every 20 runs), each written to a fresh
// file. Per-run wall and process CPU time (user + system) are the sweep's
// totals over its runs; small sweeps repeat, interleaved, and report median
// and min. Goal: the 10,000-run per-run cost within 1.25x of the 100-run one.
//
//   build/bench_store_scaling [SIZES...]        (default: 100 1000 10000)
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/stats.h"
#include "results/store.h"

using namespace genbench;
namespace fs = std::filesystem;

namespace {

constexpr size_t kSteps = 2000;

RunRecord synthetic_run(int64_t index) {
  RunRecord r;
  r.id = "run" + std::to_string(index);
  r.index = index;
  r.task = "selftest";
  r.seed = static_cast<uint64_t>(index);
  r.point = "seed=" + std::to_string(index);
  r.status = RunStatus::Ok;
  r.device = "cpu";
  r.log_every = 1;
  r.params.set("steps", static_cast<int64_t>(kSteps));
  r.params.set("step_std", 1.0);
  uint64_t state = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(index + 1);
  double walk = 0;
  for (size_t i = 0; i < kSteps; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    walk += static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5;  // a random walk, as selftest logs
    r.steps.push_back(static_cast<int64_t>(i));
    r.metrics["loss"].push_back(walk * walk);
    r.metrics["position"].push_back(walk);
  }
  r.summaries["final_loss"] = walk * walk;
  return r;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

struct Cost {
  double wall_ms, cpu_ms;  // per run
};

Cost one_sweep(const fs::path& dir, int64_t runs) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto path = (dir / "sweep.h5").string();
  std::vector<PlannedRun> plan;
  for (int64_t i = 0; i < runs; ++i) plan.push_back({"run" + std::to_string(i), "seed=" + std::to_string(i), 0});
  const auto in_progress_a = synthetic_run(runs), in_progress_b = synthetic_run(runs + 1);
  std::vector<RunRecord> pregenerated;  // the runs are made before the clock starts
  for (int64_t i = 0; i < std::min<int64_t>(runs, 64); ++i) pregenerated.push_back(synthetic_run(i));

  const double cpu0 = cpu_seconds();
  const auto wall0 = std::chrono::steady_clock::now();
  {
    ResultsWriter writer(path, {{"suite", std::string("store_scaling")}, {"status", std::string("running")}}, plan);
    for (int64_t i = 0; i < runs; ++i) {
      auto run = pregenerated[static_cast<size_t>(i) % pregenerated.size()];
      run.id = "run" + std::to_string(i);
      run.index = i;
      writer.add_run(run);
      if (i % 20 == 19) writer.set_partial({&in_progress_a, &in_progress_b});
      writer.commit();
    }
    writer.set_root_attrs({{"status", std::string("complete")}});
    writer.commit();
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const double cpu = cpu_seconds() - cpu0;
  fs::remove_all(dir);
  return {wall * 1e3 / static_cast<double>(runs), cpu * 1e3 / static_cast<double>(runs)};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
  if (sizes.empty()) sizes = {100, 1000, 10000};
  const auto dir = fs::temp_directory_path() / ("genbench_store_scaling_" + std::to_string(getpid()));

  // Repetitions, smallest sweeps most often, interleaved round by round.
  std::map<int64_t, std::vector<Cost>> costs;
  for (int round = 0; round < 5; ++round)
    for (auto n : sizes) {
      const int reps = n <= 100 ? 5 : n <= 1000 ? 3 : 1;
      if (round < reps) costs[n].push_back(one_sweep(dir, n));
    }

  std::printf("store cost per run (2000 steps x 2 metrics, committed one by one)\n");
  std::printf("%8s  %5s  %12s  %12s  %12s  %12s\n", "runs", "reps", "wall med ms", "wall min ms", "cpu med ms",
              "cpu min ms");
  for (auto n : sizes) {
    std::vector<double> wall, cpu;
    for (const auto& c : costs[n]) wall.push_back(c.wall_ms), cpu.push_back(c.cpu_ms);
    std::printf("%8lld  %5zu  %12.3f  %12.3f  %12.3f  %12.3f\n", static_cast<long long>(n), wall.size(), median(wall),
                *std::min_element(wall.begin(), wall.end()), median(cpu), *std::min_element(cpu.begin(), cpu.end()));
  }
  if (sizes.size() > 1) {
    auto med = [&](int64_t n, bool wall_time) {
      std::vector<double> v;
      for (const auto& c : costs[n]) v.push_back(wall_time ? c.wall_ms : c.cpu_ms);
      return median(v);
    };
    const auto small = sizes.front(), large = sizes.back();
    std::printf("per-run cost at %lld runs / at %lld runs: wall %.2fx, cpu %.2fx (goal <= 1.25)\n",
                static_cast<long long>(large), static_cast<long long>(small), med(large, true) / med(small, true),
                med(large, false) / med(small, false));
  }
}

// A MetricSink that keeps all a task logs: the in-process task tests read
// its rows and summaries; and a stack trained into such sinks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tasks/task.h"

namespace genbench::test {

struct Recorder : MetricSink {
  std::vector<int64_t> steps;
  std::map<std::string, std::vector<double>> rows;  // metric -> its values, in logging order
  std::map<std::string, double> summaries;
  void log(int64_t step, const Metrics& metrics) override {
    steps.push_back(step);
    for (const auto& [name, value] : metrics) rows[name].push_back(value);
  }
  void summary(const std::string& name, double value) override { summaries[name] = value; }
};

// The members trained as one stack by `task` on the CPU, each one's rows in a
// recorder of its own; `ended(i)` hears of each member masked on the way.
template <class Rec = Recorder>
std::vector<Rec> train_stack(const Task& task, const std::vector<Params>& params, const std::vector<uint64_t>& seeds,
                             int64_t log_every, const std::function<void(size_t)>& ended = {}) {
  std::atomic<bool> stop{false};
  std::vector<RunContext> members;
  for (size_t i = 0; i < params.size(); ++i) members.push_back({params[i], seeds[i], "cpu", log_every, stop});
  std::vector<Rec> recs(params.size());
  std::vector<MetricSink*> sinks;
  for (auto& r : recs) sinks.push_back(&r);
  StackSinks stack(sinks, [&](size_t i, std::exception_ptr) {
    if (ended) ended(i);
  });
  task.run_stack(members, stack);
  return recs;
}

}  // namespace genbench::test

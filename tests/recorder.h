// A MetricSink that keeps all a task logs: the in-process task tests read
// its rows and summaries.
#pragma once

#include <cstdint>
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

}  // namespace genbench::test

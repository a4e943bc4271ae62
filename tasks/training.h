// Training helpers the tasks share: the optimizer a task's parameters name,
// and a process-wide cache for data sets that several runs of one worker read.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tasks/flat_optimizer.h"

namespace genbench {

// What a task's optimizer parameters say. Unset fields keep LibTorch's defaults.
struct OptimizerConfig {
  std::string kind;  // "sgd", "adam" (L2 coupled, as torch.optim.Adam) or "adamw" (decoupled)
  double lr = 0;
  double momentum = 0;      // sgd
  double weight_decay = 0;  // every kind
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam, adamw
};
// The flat optimizer (tasks/flat_optimizer.h): torch::optim's steps, bit for
// bit, in a few passes over one buffer. The parameters become views into it.
std::unique_ptr<FlatOptimizer> make_optimizer(std::vector<torch::Tensor> parameters, const OptimizerConfig& config);

// A data set loaded once per process and key (its folder): a worker runs one
// run after another, and each would otherwise read and decode the files again.
template <typename T>
std::shared_ptr<const T> cached_dataset(const std::string& key, const std::function<std::shared_ptr<const T>()>& load) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const T>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto data = load();
  cache[key] = data;
  return data;
}

}  // namespace genbench

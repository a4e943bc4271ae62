#include "tasks/training.h"

#include "tasks/task.h"

namespace genbench {

std::unique_ptr<FlatOptimizer> make_optimizer(std::vector<torch::Tensor> parameters, const OptimizerConfig& c) {
  return std::make_unique<FlatOptimizer>(std::move(parameters), c);
}

}  // namespace genbench

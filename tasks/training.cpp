#include "tasks/training.h"

#include "tasks/task.h"

namespace genbench {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> parameters,
                                                        const OptimizerConfig& c) {
  namespace optim = torch::optim;
  if (c.kind == "sgd")
    return std::make_unique<optim::SGD>(std::move(parameters),
                                        optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
  if (c.kind == "adam")
    return std::make_unique<optim::Adam>(std::move(parameters), optim::AdamOptions(c.lr)
                                                                    .betas(std::make_tuple(c.beta1, c.beta2))
                                                                    .eps(c.eps)
                                                                    .weight_decay(c.weight_decay));
  if (c.kind == "adamw")
    return std::make_unique<optim::AdamW>(std::move(parameters), optim::AdamWOptions(c.lr)
                                                                     .betas(std::make_tuple(c.beta1, c.beta2))
                                                                     .eps(c.eps)
                                                                     .weight_decay(c.weight_decay));
  throw TaskError("unknown optimizer '" + c.kind + "': expected sgd, adam or adamw");
}

}  // namespace genbench

// A ReLU MLP of `layers` hidden layers of `width` and `classes` outputs, with
// PyTorch's default initialisation bound 1/sqrt(fan_in) but drawn from the
// run's generator (init), in float32.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace genbench {

struct ReluMlpImpl : torch::nn::Module {
  ReluMlpImpl(int64_t in, int64_t width, int64_t layers, int64_t classes = 10);
  torch::Tensor forward(torch::Tensor x);
  void init(at::Generator& gen);

  std::vector<torch::nn::Linear> hidden;
  torch::nn::Linear out{nullptr};
};
TORCH_MODULE(ReluMlp);

}  // namespace genbench

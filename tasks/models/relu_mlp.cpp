#include "tasks/models/relu_mlp.h"

#include <cmath>
#include <string>

namespace genbench {

ReluMlpImpl::ReluMlpImpl(int64_t in, int64_t width, int64_t layers, int64_t classes) {
  for (int64_t i = 0; i < layers; ++i)
    hidden.push_back(register_module("hidden" + std::to_string(i), torch::nn::Linear(i ? width : in, width)));
  out = register_module("out", torch::nn::Linear(width, classes));
}

torch::Tensor ReluMlpImpl::forward(torch::Tensor x) {
  for (auto& h : hidden) x = torch::relu(h->forward(x));
  return out->forward(x);
}

void ReluMlpImpl::init(at::Generator& gen) {
  torch::NoGradGuard no_grad;
  for (auto& p : named_parameters()) {
    auto fan_in = p.key().find("weight") != std::string::npos ? p.value().size(1) : 0;
    if (!fan_in)  // a bias: the fan-in of its layer's weight
      fan_in = named_parameters()[p.key().substr(0, p.key().rfind('.')) + ".weight"].size(1);
    double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    p.value().copy_(torch::rand(p.value().sizes(), gen, torch::kFloat32) * (2 * bound) - bound);
  }
}

}  // namespace genbench

// PreActResNet-18 (He et al. 2016, "Identity mappings"), the network of the
// robust-overfitting paper (Rice et al. 2020) and of fast adversarial
// training (Wong et al. 2020) on CIFAR-10: a 3x3 stem of 64 channels, four
// stages of two pre-activation blocks (BN, ReLU, conv 3x3; BN, ReLU, conv
// 3x3) at 64 / 128 / 256 / 512 channels and strides 1 / 2 / 2 / 2, a 1x1
// projection shortcut where the shape changes, then BN, ReLU, global average
// pooling and a linear layer. Inputs are images in [0, 1]; the network
// standardises them itself with the given per-channel mean and deviation, so
// attacks and epsilon live in pixel space.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace genbench {

class PreActBlockImpl : public torch::nn::Module {
 public:
  PreActBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, shortcut_{nullptr};  // shortcut_ empty: identity
};
TORCH_MODULE(PreActBlock);

class PreActResNet18Impl : public torch::nn::Module {
 public:
  PreActResNet18Impl(int64_t in_channels, int64_t classes, std::vector<double> mean, std::vector<double> stddev);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor mean_, stddev_;  // buffers, 1 x C x 1 x 1
  torch::nn::Conv2d stem_{nullptr};
  torch::nn::Sequential stages_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(PreActResNet18);

}  // namespace genbench

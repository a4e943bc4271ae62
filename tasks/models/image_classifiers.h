// The classifiers of adversarial training, for images N x C x H x W in [0, 1]
// with 10 classes: cnn (Wong et al.'s MNIST net: conv `width` 4x4 stride 2,
// conv 2 width 4x4 stride 2, fc 100, fc 10), cnn_bn (the same with BatchNorm
// after each conv), mlp (pixels-hidden-hidden-10) and preact_resnet18
// (tasks/models/preact_resnet.h, which standardises its inputs with the
// data set's per-channel mean and deviation).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace genbench {

struct ImageClassifierShape {
  std::string kind;  // cnn, cnn_bn, mlp, preact_resnet18
  int64_t channels = 1, side = 28;
  int64_t width = 16;   // cnn, cnn_bn
  int64_t hidden = 256;  // mlp
  std::vector<double> mean, stddev;  // preact_resnet18
};

// Initialised by LibTorch's defaults from the global generator (seeded by the
// worker for each run).
torch::nn::Sequential image_classifier(const ImageClassifierShape& shape);

}  // namespace genbench

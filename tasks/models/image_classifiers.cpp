#include "tasks/models/image_classifiers.h"

#include "tasks/models/preact_resnet.h"

namespace genbench {

// Layers are pushed one by one: in Sequential(a, b, c) the compiler picks the order the
// layers are built in, so the seeded initialisation would depend on it.
torch::nn::Sequential image_classifier(const ImageClassifierShape& shape) {
  using namespace torch::nn;
  const int64_t channels = shape.channels, side = shape.side, pixels = channels * side * side;
  const auto& kind = shape.kind;
  if (kind == "preact_resnet18") return Sequential(PreActResNet18(channels, 10, shape.mean, shape.stddev));
  Sequential net;
  if (kind == "mlp") {
    net->push_back(Flatten());
    net->push_back(Linear(pixels, shape.hidden));
    net->push_back(ReLU());
    net->push_back(Linear(shape.hidden, shape.hidden));
    net->push_back(ReLU());
    net->push_back(Linear(shape.hidden, 10));
    return net;
  }
  TORCH_CHECK(kind == "cnn" || kind == "cnn_bn", "image_classifier: unknown kind '", kind, "'");
  const int64_t width = shape.width;
  net->push_back(Conv2d(Conv2dOptions(channels, width, 4).stride(2).padding(1)));
  if (kind == "cnn_bn") net->push_back(BatchNorm2d(width));
  net->push_back(ReLU());
  net->push_back(Conv2d(Conv2dOptions(width, 2 * width, 4).stride(2).padding(1)));
  if (kind == "cnn_bn") net->push_back(BatchNorm2d(2 * width));
  net->push_back(ReLU());
  net->push_back(Flatten());
  net->push_back(Linear(2 * width * (side / 4) * (side / 4), 100));
  net->push_back(ReLU());
  net->push_back(Linear(100, 10));
  return net;
}

}  // namespace genbench

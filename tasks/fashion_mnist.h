// Fashion-MNIST from Debian's dataset-fashion-mnist package: the gzipped IDX
// files under /usr/share/datasets/fashion-mnist (or another directory). The
// one loader, and the one way of sampling it, that every task on real
// images uses.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/params.h"

namespace genbench {

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The `data_dir` parameter every Fashion-MNIST task declares.
ParamSpec fashion_mnist_dir_param();

struct ImageSet {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major
  std::vector<uint8_t> labels;  // count, 0..9
};

struct FashionMnist {
  ImageSet train, test;  // 60000 and 10000 images of 28 x 28
};

// Loads (once per process and directory; later calls share it). Throws
// TaskError naming the missing file and the Debian package, or the byte
// that does not match the IDX format.
std::shared_ptr<const FashionMnist> load_fashion_mnist(const std::string& dir = kFashionMnistDir);

// A seeded training subset and test subset as tensors, the way the suites
// use them: pixels scaled to [0, 1], average-pooled by `pool` (1: 28 x 28,
// 2: 14 x 14...), flattened and centred by the training subset's mean
// (unless `centre` is false: attacks in pixel space need [0, 1]); a
// fraction `label_noise` of training labels replaced by another class,
// uniformly. Draws, in order: the training subset, the test subset, the
// noisy labels; all from `gen`, on the CPU.
struct FashionMnistSplit {
  torch::Tensor X, y, y_clean;  // n x features (float64), labels (int64)
  torch::Tensor X_test, y_test;
};
FashionMnistSplit fashion_mnist_split(const FashionMnist& data, int64_t n, int64_t n_test, double label_noise,
                                      int64_t pool, at::Generator& gen, bool centre = true);

// Reads one gzipped IDX file: magic 0x0803 (images) or 0x0801 (labels).
ImageSet read_idx_images(const std::string& path);
std::vector<uint8_t> read_idx_labels(const std::string& path);

}  // namespace genbench

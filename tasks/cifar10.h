// CIFAR-10 from the standard binary batches (cifar-10-batches-bin: the
// "binary version" of https://www.cs.toronto.edu/~kriz/cifar.html). No copy
// ships with Debian, so the folder is always the user's: tasks take it as a
// parameter and fail with the path and the expected files when it is not
// there.
//
// A batch file is a sequence of 3073-byte records: one label byte (0..9),
// then 1024 red, 1024 green and 1024 blue bytes of a 32 x 32 image, each
// plane row-major. data_batch_1.bin ... data_batch_5.bin hold the 50000
// training images, test_batch.bin the 10000 test ones.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

namespace genbench {

struct ImageBatch {
  torch::Tensor images;  // N x 3 x 32 x 32, uint8
  torch::Tensor labels;  // N, int64
};

struct Cifar10 {
  ImageBatch train, test;
};

// Reads one batch file. Throws TaskError naming the file when it cannot be
// opened, its size is not a whole number of records, or a label is not 0..9.
ImageBatch read_cifar10_batch(const std::string& path);

// Loads the five training batches and the test batch from `dir` (once per
// process and folder). Throws TaskError naming the first missing file.
std::shared_ptr<const Cifar10> load_cifar10(const std::string& dir);

}  // namespace genbench

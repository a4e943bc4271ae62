// Fashion-MNIST from Debian's dataset-fashion-mnist package: the gzipped IDX
// files under /usr/share/datasets/fashion-mnist (or another directory). The
// one loader every suite on real images uses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace genbench {

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

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

// Reads one gzipped IDX file: magic 0x0803 (images) or 0x0801 (labels).
ImageSet read_idx_images(const std::string& path);
std::vector<uint8_t> read_idx_labels(const std::string& path);

}  // namespace genbench

#include "tasks/cifar10.h"

#include <cstdio>
#include <vector>

#include "tasks/task.h"
#include "tasks/training.h"

namespace genbench {

namespace {

constexpr int64_t kSide = 32, kRecord = 1 + 3 * kSide * kSide;

struct File {
  FILE* f = nullptr;
  explicit File(const std::string& path) : f(fopen(path.c_str(), "rb")) {}
  ~File() {
    if (f) fclose(f);
  }
};

}  // namespace

ImageBatch read_cifar10_batch(const std::string& path) {
  File in(path);
  if (!in.f) throw TaskError(path + ": cannot open");
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  for (size_t got; (got = fread(buf, 1, sizeof buf, in.f)) > 0;) bytes.insert(bytes.end(), buf, buf + got);
  if (ferror(in.f)) throw TaskError(path + ": read error");
  const auto size = static_cast<int64_t>(bytes.size());
  if (size == 0 || size % kRecord != 0)
    throw TaskError(path + ": " + std::to_string(size) + " bytes is not a whole number of " +
                    std::to_string(kRecord) + "-byte CIFAR-10 records (label + 3 x 32 x 32)");
  const int64_t count = size / kRecord;
  ImageBatch batch{torch::empty({count, 3, kSide, kSide}, torch::kUInt8), torch::empty({count}, torch::kInt64)};
  auto* pixels = batch.images.data_ptr<uint8_t>();
  auto* labels = batch.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* record = bytes.data() + i * kRecord;
    if (record[0] > 9)
      throw TaskError(path + ": record " + std::to_string(i) + " has label " + std::to_string(record[0]) +
                      ", expected a class 0..9");
    labels[i] = record[0];
    std::copy(record + 1, record + kRecord, pixels + i * (kRecord - 1));
  }
  return batch;
}

namespace {

// Reads every file of the set; load_cifar10 keeps the result for the process.
std::shared_ptr<const Cifar10> read_cifar10(const std::string& dir) {
  const std::vector<std::string> train_files = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                                "data_batch_4.bin", "data_batch_5.bin"};
  for (const auto& name : {train_files[0], train_files[1], train_files[2], train_files[3], train_files[4],
                           std::string("test_batch.bin")}) {
    auto path = dir + "/" + name;
    if (File probe(path); !probe.f)
      throw TaskError("CIFAR-10 not found: " + path +
                      " (set cifar10_dir to the cifar-10-batches-bin folder of the binary version, "
                      "data_batch_1.bin ... data_batch_5.bin and test_batch.bin)");
  }
  std::vector<torch::Tensor> images, labels;
  for (const auto& name : train_files) {
    auto batch = read_cifar10_batch(dir + "/" + name);
    images.push_back(batch.images);
    labels.push_back(batch.labels);
  }
  auto data = std::make_shared<Cifar10>();
  data->train = {torch::cat(images), torch::cat(labels)};
  data->test = read_cifar10_batch(dir + "/test_batch.bin");
  return data;
}

}  // namespace

std::shared_ptr<const Cifar10> load_cifar10(const std::string& dir) {
  return cached_dataset<Cifar10>(dir, [&] { return read_cifar10(dir); });
}

}  // namespace genbench

// The CIFAR-10 binary-batch loader on files the test writes in that format
// (no CIFAR-10 ships here), and adversarial training on such a folder with
// PreActResNet-18.
#include "tasks/cifar10.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "recorder.h"
#include "support.h"
#include "tasks/adversarial_training.h"
#include "tasks/task.h"

using namespace genbench;

namespace {

// `count` records: label i % 10, then the red, green and blue planes, pixel
// value (i + channel * 7 + position) % 256.
std::string cifar_records(int count) {
  std::string bytes;
  for (int i = 0; i < count; ++i) {
    bytes.push_back(static_cast<char>(i % 10));
    for (int channel = 0; channel < 3; ++channel)
      for (int position = 0; position < 1024; ++position)
        bytes.push_back(static_cast<char>((i + channel * 7 + position) % 256));
  }
  return bytes;
}

void write_cifar_folder(const std::string& dir, int per_batch) {
  for (int b = 1; b <= 5; ++b) test::write_file(dir + "/data_batch_" + std::to_string(b) + ".bin", cifar_records(per_batch));
  test::write_file(dir + "/test_batch.bin", cifar_records(per_batch));
}

}  // namespace

TEST_CASE("a CIFAR-10 batch file reads back as images and labels", "[tasks][cifar10]") {
  test::TempDir dir;
  SECTION("valid: planes land in channels, rows stay row-major") {
    test::write_file(dir.file("b.bin"), cifar_records(12));
    auto batch = read_cifar10_batch(dir.file("b.bin"));
    REQUIRE(batch.images.sizes() == torch::IntArrayRef({12, 3, 32, 32}));
    REQUIRE(batch.labels.sizes() == torch::IntArrayRef({12}));
    CHECK(batch.labels[11].item<int64_t>() == 1);
    // image 5, green (channel 1), row 2, column 3: position 67
    CHECK(batch.images[5][1][2][3].item<int>() == (5 + 7 + 67) % 256);
    CHECK(batch.images[11][2][31][31].item<int>() == (11 + 14 + 1023) % 256);
  }
  SECTION("invalid: a truncated file, a label out of range") {
    auto bytes = cifar_records(2);
    test::write_file(dir.file("short.bin"), bytes.substr(0, bytes.size() - 1));
    REQUIRE_THROWS_WITH(read_cifar10_batch(dir.file("short.bin")),
                        dir.file("short.bin") +
                            ": 6145 bytes is not a whole number of 3073-byte CIFAR-10 records (label + 3 x 32 x 32)");
    bytes[3073] = 10;
    test::write_file(dir.file("label.bin"), bytes);
    REQUIRE_THROWS_WITH(read_cifar10_batch(dir.file("label.bin")),
                        dir.file("label.bin") + ": record 1 has label 10, expected a class 0..9");
  }
}

TEST_CASE("a missing CIFAR-10 folder names the file and what to set", "[tasks][cifar10]") {
  test::TempDir dir;
  REQUIRE_THROWS_WITH(load_cifar10(dir.path()),
                      "CIFAR-10 not found: " + dir.file("data_batch_1.bin") +
                          " (set cifar10_dir to the cifar-10-batches-bin folder of the binary version, "
                          "data_batch_1.bin ... data_batch_5.bin and test_batch.bin)");
  AdversarialTraining task;
  auto params = default_params(task.params());
  params.set("dataset", std::string("cifar10"));
  CHECK(task.check(params) == "dataset cifar10 needs cifar10_dir, the folder of the binary batches (cifar-10-batches-bin)");
}

TEST_CASE("adversarial training reads a CIFAR-10 folder and trains PreActResNet-18 on it", "[tasks][cifar10]") {
  test::TempDir dir;
  write_cifar_folder(dir.path(), 4);
  auto data = load_cifar10(dir.path());
  CHECK(data->train.images.size(0) == 20);
  CHECK(data->test.images.size(0) == 4);

  AdversarialTraining task;
  auto params = default_params(task.params());
  for (auto& [key, value] : std::map<std::string, ParamValue>{
           {"dataset", std::string("cifar10")}, {"cifar10_dir", dir.path()}, {"n", int64_t{16}},
           {"n_eval", int64_t{4}}, {"batch_size", int64_t{8}}, {"epochs", int64_t{1}},
           {"model", std::string("preact_resnet18")}, {"epsilon", 8.0 / 255}, {"fgsm_alpha", 10.0 / 255},
           {"eval_pgd_steps", int64_t{2}}})
    params.set(key, value);
  REQUIRE(task.check(params).empty());
  std::atomic<bool> stop{false};
  test::Recorder rec;
  torch::manual_seed(0);
  task.run({params, 0, "cpu", 1, stop}, rec);
  CHECK(rec.steps == std::vector<int64_t>{0, 1});
  for (const auto& [name, values] : rec.rows)
    for (double v : values) {
      CAPTURE(name);
      CHECK(std::isfinite(v));
    }
  CHECK(rec.rows.at("train_clean_loss")[1] != rec.rows.at("train_clean_loss")[0]);  // it trained
}

// The Fashion-MNIST loader on Debian's real files, and its errors.
#include "tasks/fashion_mnist.h"

#include <zlib.h>

#include <catch2/catch.hpp>

#include "support.h"
#include "tasks/task.h"

using namespace genbench;

TEST_CASE("Fashion-MNIST loads from Debian's package", "[tasks][fashion_mnist]") {
  auto data = load_fashion_mnist();
  CHECK(data->train.count == 60000);
  CHECK(data->test.count == 10000);
  CHECK(data->train.rows == 28);
  CHECK(data->train.cols == 28);
  CHECK(data->train.pixels.size() == 60000u * 784u);
  std::vector<int> per_class(10);
  for (auto l : data->train.labels) ++per_class.at(l);
  for (int c : per_class) CHECK(c == 6000);  // the dataset is balanced
  CHECK(data->train.labels[0] == 9);         // the first image is an ankle boot
  CHECK(load_fashion_mnist().get() == data.get());  // loaded once per process
}

TEST_CASE("a missing or corrupt Fashion-MNIST says what to do", "[tasks][fashion_mnist]") {
  test::TempDir dir;
  REQUIRE_THROWS_WITH(load_fashion_mnist(dir.path()),
                      "Fashion-MNIST not found: " + dir.file("train-images-idx3-ubyte.gz") +
                          " (set data_dir to the folder with the gzipped IDX files)");
  auto path = dir.file("bad.gz");
  gzFile f = gzopen(path.c_str(), "wb");
  const unsigned char header[] = {0, 0, 8, 1, 0, 0, 0, 5};  // a label file's magic, 5 labels, none written
  gzwrite(f, header, sizeof header);
  gzclose(f);
  REQUIRE_THROWS_WITH(read_idx_images(path), path + ": not an IDX file of this kind: magic 0x00000801, expected 0x00000803");
  REQUIRE_THROWS_WITH(read_idx_labels(path), path + ": truncated or corrupt while reading the labels (0 of 5 bytes)");
}

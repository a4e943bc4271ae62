#include "tasks/fashion_mnist.h"

#include <zlib.h>

#include <cmath>

#include "tasks/task.h"
#include "tasks/training.h"

namespace genbench {

namespace {

std::string missing_hint(const std::string& dir) {
  return dir == kFashionMnistDir ? " (install Debian's dataset-fashion-mnist: apt-get install dataset-fashion-mnist)"
                                 : " (set data_dir to the folder with the gzipped IDX files)";
}

struct GzFile {
  gzFile f = nullptr;
  std::string path;
  explicit GzFile(const std::string& p) : f(gzopen(p.c_str(), "rb")), path(p) {}
  ~GzFile() {
    if (f) gzclose(f);
  }
  void read(void* dst, size_t n, const char* what) {
    auto got = gzread(f, dst, static_cast<unsigned>(n));
    if (got != static_cast<int>(n))
      throw TaskError(path + ": truncated or corrupt while reading " + what + " (" + std::to_string(got) + " of " +
                      std::to_string(n) + " bytes)");
  }
  uint32_t big_endian(const char* what) {
    unsigned char b[4];
    read(b, 4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  }
};

GzFile open_idx(const std::string& path, uint32_t magic) {
  GzFile in(path);
  if (!in.f) throw TaskError(path + ": cannot open");
  auto m = in.big_endian("the magic number");
  if (m != magic) {
    char buf[96];
    snprintf(buf, sizeof buf, ": not an IDX file of this kind: magic 0x%08x, expected 0x%08x", m, magic);
    throw TaskError(path + buf);
  }
  return in;
}

}  // namespace

ImageSet read_idx_images(const std::string& path) {
  auto in = open_idx(path, 0x00000803);
  ImageSet s;
  s.count = in.big_endian("the image count");
  s.rows = in.big_endian("the row count");
  s.cols = in.big_endian("the column count");
  s.pixels.resize(static_cast<size_t>(s.count * s.rows * s.cols));
  in.read(s.pixels.data(), s.pixels.size(), "the pixels");
  return s;
}

std::vector<uint8_t> read_idx_labels(const std::string& path) {
  auto in = open_idx(path, 0x00000801);
  std::vector<uint8_t> labels(in.big_endian("the label count"));
  in.read(labels.data(), labels.size(), "the labels");
  for (auto l : labels)
    if (l > 9) throw TaskError(path + ": label " + std::to_string(l) + " is not a class 0..9");
  return labels;
}

namespace {

// Rows `index` of an image set as float64 in [0, 1], pooled and flattened.
torch::Tensor images(const ImageSet& set, const torch::Tensor& index, int64_t pool) {
  auto all = torch::from_blob(const_cast<uint8_t*>(set.pixels.data()), {set.count, set.rows * set.cols}, torch::kUInt8);
  auto x = all.index_select(0, index).to(torch::kFloat64) / 255.0;
  if (pool > 1)
    x = torch::avg_pool2d(x.view({-1, 1, set.rows, set.cols}), {pool, pool}).flatten(1);
  return x;
}

torch::Tensor labels(const ImageSet& set, const torch::Tensor& index) {
  auto all = torch::from_blob(const_cast<uint8_t*>(set.labels.data()), {set.count}, torch::kUInt8);
  return all.index_select(0, index).to(torch::kInt64);
}

}  // namespace

ParamSpec fashion_mnist_dir_param() {
  return {"data_dir", ParamType::String, std::string(kFashionMnistDir), "folder of the gzipped IDX files", {}, {}, {}};
}

FashionMnistSplit fashion_mnist_split(const FashionMnist& data, int64_t n, int64_t n_test, double label_noise,
                                      int64_t pool, at::Generator& gen, bool centre) {
  auto i64 = torch::TensorOptions().dtype(torch::kInt64);
  auto train_idx = torch::randperm(data.train.count, gen, i64).slice(0, 0, n);
  auto test_idx = torch::randperm(data.test.count, gen, i64).slice(0, 0, n_test);
  FashionMnistSplit s;
  s.X = images(data.train, train_idx, pool);
  s.y_clean = labels(data.train, train_idx);
  s.X_test = images(data.test, test_idx, pool);
  s.y_test = labels(data.test, test_idx);
  if (centre) {
    auto mean = s.X.mean(0);
    s.X -= mean;
    s.X_test -= mean;
  }
  s.y = s.y_clean.clone();
  auto flips = static_cast<int64_t>(std::llround(label_noise * static_cast<double>(n)));
  if (flips > 0) {  // another class, uniformly: (y + 1..9) mod 10
    auto which = torch::randperm(n, gen, i64).slice(0, 0, flips);
    auto shift = torch::randint(1, 10, {flips}, gen, i64);
    s.y.index_put_({which}, (s.y_clean.index_select(0, which) + shift).remainder(10));
  }
  return s;
}

namespace {

// Reads every file of the set; load_fashion_mnist keeps the result for the process.
std::shared_ptr<const FashionMnist> read_fashion_mnist(const std::string& dir) {
  auto load = [&](const std::string& images, const std::string& labels) {
    for (const auto& name : {images, labels}) {
      auto path = dir + "/" + name;
      if (FILE* f = fopen(path.c_str(), "rb")) fclose(f);
      else throw TaskError("Fashion-MNIST not found: " + path + missing_hint(dir));
    }
    auto set = read_idx_images(dir + "/" + images);
    set.labels = read_idx_labels(dir + "/" + labels);
    if (static_cast<int64_t>(set.labels.size()) != set.count)
      throw TaskError(dir + "/" + labels + ": " + std::to_string(set.labels.size()) + " labels for " +
                      std::to_string(set.count) + " images");
    return set;
  };
  auto data = std::make_shared<FashionMnist>();
  data->train = load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
  data->test = load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
  return data;
}

}  // namespace

std::shared_ptr<const FashionMnist> load_fashion_mnist(const std::string& dir) {
  return cached_dataset<FashionMnist>(dir, [&] { return read_fashion_mnist(dir); });
}

}  // namespace genbench

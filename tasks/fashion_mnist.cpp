#include "tasks/fashion_mnist.h"

#include <zlib.h>

#include <map>
#include <mutex>

#include "tasks/task.h"

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

std::shared_ptr<const FashionMnist> load_fashion_mnist(const std::string& dir) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const FashionMnist>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(dir); it != cache.end()) return it->second;

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
  cache[dir] = data;
  return data;
}

}  // namespace genbench

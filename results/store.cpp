#include "results/store.h"

#include <H5Cpp.h>
#include <fcntl.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>

namespace genbench {

namespace fs = std::filesystem;

namespace {

// Wraps an H5Cpp call so that its failure names the file and the HDF5 path.
template <typename F>
auto guarded(const std::string& file, const std::string& h5path, const std::string& what, F&& f) {
  try {
    return f();
  } catch (const H5::Exception& e) {
    throw ResultsError(file + ": " + h5path + ": " + what + ": " + e.getDetailMsg());
  }
}

const H5::StrType& string_type() {
  static const H5::StrType type = [] {
    H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
    t.setCset(H5T_CSET_UTF8);
    return t;
  }();
  return type;
}

// The enum h5py reads as numpy.bool_.
const H5::EnumType& bool_type() {
  static const H5::EnumType type = [] {
    H5::EnumType t(H5::PredType::NATIVE_INT8);
    int8_t f = 0, tr = 1;
    t.insert("FALSE", &f);
    t.insert("TRUE", &tr);
    return t;
  }();
  return type;
}

void write_attr(H5::H5Object& obj, const std::string& name, const ParamValue& value) {
  if (obj.attrExists(name)) obj.removeAttr(name);
  H5::DataSpace scalar(H5S_SCALAR);
  switch (type_of(value)) {
    case ParamType::Int: {
      auto v = std::get<int64_t>(value);
      obj.createAttribute(name, H5::PredType::NATIVE_INT64, scalar).write(H5::PredType::NATIVE_INT64, &v);
      break;
    }
    case ParamType::Float: {
      auto v = std::get<double>(value);
      obj.createAttribute(name, H5::PredType::NATIVE_DOUBLE, scalar).write(H5::PredType::NATIVE_DOUBLE, &v);
      break;
    }
    case ParamType::Bool: {
      int8_t v = std::get<bool>(value) ? 1 : 0;
      obj.createAttribute(name, bool_type(), scalar).write(bool_type(), &v);
      break;
    }
    case ParamType::String:
      obj.createAttribute(name, string_type(), scalar).write(string_type(), std::get<std::string>(value));
      break;
    case ParamType::FloatList: {
      const auto& v = std::get<std::vector<double>>(value);
      hsize_t n = v.size();
      H5::DataSpace space(1, &n);
      auto attr = obj.createAttribute(name, H5::PredType::NATIVE_DOUBLE, space);
      if (n) attr.write(H5::PredType::NATIVE_DOUBLE, v.data());
      break;
    }
  }
}

ParamValue read_attr(const H5::Attribute& attr) {
  auto cls = attr.getTypeClass();
  auto n = attr.getSpace().getSimpleExtentNpoints();
  bool scalar = attr.getSpace().getSimpleExtentNdims() == 0;
  if (cls == H5T_STRING) {
    std::string s;
    attr.read(string_type(), s);
    return s;
  }
  if (cls == H5T_ENUM) {
    int8_t v = 0;
    attr.read(bool_type(), &v);
    return v != 0;
  }
  if (cls == H5T_INTEGER && scalar) {
    int64_t v = 0;
    attr.read(H5::PredType::NATIVE_INT64, &v);
    return v;
  }
  std::vector<double> v(static_cast<size_t>(n));
  if (n) attr.read(H5::PredType::NATIVE_DOUBLE, v.data());
  if (scalar) return v.at(0);
  return v;
}

AttrMap read_attrs(const H5::H5Object& obj) {
  AttrMap out;
  for (int i = 0, n = obj.getNumAttrs(); i < n; ++i) {
    auto attr = obj.openAttribute(static_cast<unsigned>(i));
    out[attr.getName()] = read_attr(attr);
  }
  return out;
}

template <typename T>
void write_column(H5::Group& group, const std::string& name, const std::vector<T>& data,
                  const H5::PredType& type) {
  hsize_t n = data.size(), max = H5S_UNLIMITED;
  hsize_t chunk = std::clamp<hsize_t>(n, 1, 4096);
  H5::DataSpace space(1, &n, &max);
  H5::DSetCreatPropList props;
  props.setChunk(1, &chunk);
  props.setShuffle();
  props.setDeflate(4);
  auto ds = group.createDataSet(name, type, space, props);
  if (n) ds.write(data.data(), type);
}

template <typename T>
std::vector<T> read_column(const H5::DataSet& ds, const H5::PredType& type) {
  hsize_t n = 0;
  auto space = ds.getSpace();
  if (space.getSimpleExtentNdims() != 1) throw H5::DataSetIException("read", "expected a 1-D dataset");
  space.getSimpleExtentDims(&n);
  std::vector<T> out(n);
  if (n) ds.read(out.data(), type);
  return out;
}

void write_strings(H5::Group& group, const std::string& name, const std::vector<std::string>& strings) {
  std::vector<const char*> ptrs;
  for (const auto& s : strings) ptrs.push_back(s.c_str());
  hsize_t n = ptrs.size();
  H5::DataSpace space(1, &n);
  auto ds = group.createDataSet(name, string_type(), space);
  if (n) ds.write(ptrs.data(), string_type());
}

std::vector<std::string> read_strings(const H5::DataSet& ds) {
  hsize_t n = 0;
  auto space = ds.getSpace();
  space.getSimpleExtentDims(&n);
  std::vector<char*> ptrs(n, nullptr);
  if (n) ds.read(ptrs.data(), string_type());
  std::vector<std::string> out;
  for (auto* p : ptrs) out.emplace_back(p ? p : "");
  if (n) H5::DataSet::vlenReclaim(ptrs.data(), string_type(), space);
  return out;
}

std::string str_attr(const AttrMap& attrs, const std::string& key) {
  auto it = attrs.find(key);
  return it != attrs.end() && std::holds_alternative<std::string>(it->second) ? std::get<std::string>(it->second) : "";
}

int64_t int_attr(const AttrMap& attrs, const std::string& key, int64_t fallback) {
  auto it = attrs.find(key);
  return it != attrs.end() && std::holds_alternative<int64_t>(it->second) ? std::get<int64_t>(it->second) : fallback;
}

// Reading a file back: an attribute SCHEMA.md types, present with another
// type, is an error (read leniently, a string `seed` would be seed 0 and a
// string summary would be missing: a comparison would call that a change).
template <typename T>
T typed_attr(const AttrMap& attrs, const std::string& key, T fallback, bool required = false) {
  auto it = attrs.find(key);
  if (it == attrs.end()) {
    if (required) throw H5::AttributeIException("read", "attribute '" + key + "' is missing");
    return fallback;
  }
  if (!std::holds_alternative<T>(it->second))
    throw H5::AttributeIException("read", "attribute '" + key + "' is " + type_name(type_of(it->second)) +
                                              ", expected " + type_name(type_of(ParamValue(T{}))));
  return std::get<T>(it->second);
}

// Why a file that starts like HDF5 does not open: cut short, most often
// (a copy or a download that stopped). Empty when that is not it.
std::string truncation_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[48] = {0};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (in.gcount() < 48 || std::memcmp(head, signature, 8) != 0 || head[8] != 0 || head[13] != 8) return "";
  uint64_t stored_eof = 0;  // superblock version 0 (what this store writes), 8-byte addresses: end-of-file address at byte 40
  std::memcpy(&stored_eof, head + 40, sizeof stored_eof);
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size >= stored_eof) return "";
  return "truncated: " + std::to_string(size) + " bytes of the " + std::to_string(stored_eof) +
         " its superblock records (a copy or a download cut short?)";
}

}  // namespace

const std::vector<double>* RunRecord::metric(const std::string& name) const {
  auto it = metrics.find(name);
  return it == metrics.end() ? nullptr : &it->second;
}

double RunRecord::summary_or(const std::string& key, double fallback) const {
  auto it = summaries.find(key);
  return it == summaries.end() ? fallback : it->second;
}

std::string config_text(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params.values()) out += name + ": " + format_value(value) + "\n";
  return out;
}

// ---- files on disk -------------------------------------------------------------

namespace {

const char* const kSegmentPrefix = "seg-";
const char* const kPartialFile = "partial.h5";
// Loose runs are folded into the main file once there are as many of them as
// it holds (and at least this many): every run is copied O(1) times in all.
constexpr int64_t kMinLooseRuns = 64;

std::string errno_text() { return std::strerror(errno); }

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);  // the rename itself survives a power cut
    ::close(fd);
  }
}

std::string parent_of(const std::string& path) {
  auto parent = fs::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Writes `bytes` to `path` through path.tmp, fsync and rename: a reader, a
// kill -9 or a full disk only ever see the old file or the new one.
void write_atomically(const std::string& owner, const std::string& path, const std::vector<char>& bytes) {
  auto tmp = path + ".tmp";
  auto fail = [&](const char* what) {
    auto err = errno_text();
    unlink(tmp.c_str());
    throw ResultsError(owner + ": cannot " + what + " " + tmp + ": " + err + " (every committed run is intact)");
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create");
  for (size_t done = 0; done < bytes.size();) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      ::close(fd);
      fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("sync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename");
  fsync_directory(parent_of(path));
}

// A byte copy of `from` at `to` (the compaction's starting point), streamed,
// with `reserve` bytes of disk set aside for what HDF5 then adds: HDF5 1.10's
// H5Ocopy crashes (H5T_close_real) when a write fails under it, so a full
// disk or a file-size limit must show here, as a clean error, or not at all.
void copy_file(const std::string& owner, const std::string& from, const std::string& to, uint64_t reserve) {
  auto fail = [&](const char* what, const std::string& file) {
    auto err = errno_text();
    unlink(to.c_str());
    throw ResultsError(owner + ": cannot " + what + " " + file + ": " + err + " (every committed run is intact)");
  };
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail("read", from);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    ::close(in);
    fail("create", to);
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && reserve > limit.rlim_cur) {
    ::close(in), ::close(out);
    errno = EFBIG;
    fail("write", to);
  }
  if (::fallocate(out, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(reserve)) != 0 && errno != EOPNOTSUPP &&
      errno != ENOSYS) {
    ::close(in), ::close(out);
    fail("write", to);
  }
  std::vector<char> buffer(1 << 20);
  while (true) {
    auto n = ::read(in, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(in), ::close(out);
      fail("read", from);
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      auto w = ::write(out, buffer.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        if (w == 0) errno = ENOSPC;
        ::close(in), ::close(out);
        fail("write", to);
      }
      done += w;
    }
  }
  ::close(in);
  if (::close(out) != 0) fail("write", to);
}

// Syncs a file HDF5 has closed, giving back the disk reserved beyond its end.
void fsync_file(const std::string& owner, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  struct stat st {};
  if (fd >= 0 && ::fstat(fd, &st) == 0 && ::ftruncate(fd, st.st_size + 1) == 0)
    if (::ftruncate(fd, st.st_size) != 0) {  // shrinking frees the blocks past the end
      // best effort: the file is whole either way
    }
  if (fd < 0 || ::fsync(fd) != 0) {
    auto err = errno_text();
    if (fd >= 0) ::close(fd);
    unlink(path.c_str());
    throw ResultsError(owner + ": cannot sync " + path + ": " + err + " (every committed run is intact)");
  }
  ::close(fd);
}

H5::FileAccPropList in_memory() {
  H5::FileAccPropList fapl;
  fapl.setCore(1 << 20, false);  // no backing store: the image is taken, then written atomically
  return fapl;
}

// The bytes of an HDF5 file that `build` fills, built in memory.
std::vector<char> build_image(const std::string& name, const std::function<void(H5::H5File&)>& build) {
  static int counter = 0;  // the core driver knows files by name: never two alike
  H5::H5File file(name + ".image" + std::to_string(++counter), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT,
                  in_memory());
  build(file);
  auto id = file.getId();
  if (H5Fflush(id, H5F_SCOPE_GLOBAL) < 0) throw H5::FileIException("commit", "H5Fflush failed");
  auto size = H5Fget_file_image(id, nullptr, 0);
  if (size < 0) throw H5::FileIException("commit", "H5Fget_file_image failed");
  std::vector<char> image(static_cast<size_t>(size));
  H5Fget_file_image(id, image.data(), image.size());
  return image;
}

bool link_exists(const H5::H5Location& file, const std::string& where) {
  return H5Lexists(file.getId(), where.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> member_names(const H5::H5File& file, const std::string& group) {
  std::vector<std::string> names;
  if (!link_exists(file, group)) return names;
  auto g = file.openGroup(group);
  for (hsize_t i = 0; i < g.getNumObjs(); ++i) names.push_back(g.getObjnameByIdx(i));
  return names;
}

// The segment files of a loose-run folder, in the order they were written.
std::vector<std::string> segment_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    auto name = entry.path().filename().string();
    if (name.rfind(kSegmentPrefix, 0) == 0 && name.size() > 3 && name.compare(name.size() - 3, 3, ".h5") == 0)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());  // zero-padded sequence numbers
  return out;
}

std::string segment_name(int64_t number) {
  char name[32];
  std::snprintf(name, sizeof name, "%s%08lld.h5", kSegmentPrefix, static_cast<long long>(number));
  return name;
}

std::string host_name() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) return "unknown host";
  return host;
}

}  // namespace

std::string loose_runs_dir(const std::string& path) { return path + ".runs"; }

// ---- the writer's lock ------------------------------------------------------------

// flock() on FILE.lock, held for the writer's life; the file says who holds
// it. After locking, the path must still name the locked file: a holder that
// is just leaving unlinks it, and a lock on an unlinked file guards nothing.
class WriterLock {
 public:
  explicit WriterLock(const std::string& path) : lock_path_(path + ".lock") {
    for (int attempt = 0; attempt < 10; ++attempt) {
      fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd_ < 0) throw ResultsError(path + ": cannot create " + lock_path_ + ": " + errno_text());
      if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        auto holder = read_holder();
        ::close(fd_);
        fd_ = -1;
        errno = error;
        if (error == EWOULDBLOCK || !holder.empty())
          throw FileBusyError(path + " is being written by " + (holder.empty() ? std::string("another process") : holder));
        throw ResultsError(path + ": cannot lock " + lock_path_ + ": " + errno_text());
      }
      struct stat held {}, named {};
      if (::fstat(fd_, &held) == 0 && ::stat(lock_path_.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
          held.st_dev == named.st_dev) {
        auto who = "bench-run (pid " + std::to_string(getpid()) + " on " + host_name() + ")";
        if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, who.data(), who.size(), 0) < 0) {
          // the lock holds without the note; a second writer then says "another process"
        }
        return;
      }
      ::close(fd_);  // the holder left and unlinked it meanwhile: lock the new one
      fd_ = -1;
    }
    throw ResultsError(path + ": cannot lock " + lock_path_ + ": it keeps being replaced");
  }
  ~WriterLock() {
    if (fd_ < 0) return;
    unlink(lock_path_.c_str());
    ::close(fd_);
  }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  std::string read_holder() const {
    char text[512] = {0};
    auto n = ::pread(fd_, text, sizeof text - 1, 0);
    return n > 0 ? std::string(text, static_cast<size_t>(n)) : "";
  }
  std::string lock_path_;
  int fd_ = -1;
};

// ---- writer -------------------------------------------------------------------

namespace {

// /verdicts: one row per claim, as equal-length 1-D datasets (SCHEMA.md).
void write_verdicts(H5::H5File& file, const std::vector<Verdict>& verdicts) {
  if (link_exists(file, "/verdicts")) file.unlink("/verdicts");
  auto g = file.createGroup("/verdicts");
  std::vector<std::string> claim, outcome, measured, bound, source;
  std::vector<double> value;
  for (const auto& v : verdicts) {
    claim.push_back(v.claim), outcome.push_back(v.outcome), measured.push_back(v.measured);
    bound.push_back(v.bound), source.push_back(v.source), value.push_back(v.value);
  }
  write_strings(g, "claim", claim);
  write_strings(g, "outcome", outcome);
  write_strings(g, "measured", measured);
  write_strings(g, "bound", bound);
  write_strings(g, "source", source);
  hsize_t n = value.size();
  auto ds = g.createDataSet("value", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, &n));
  if (n) ds.write(value.data(), H5::PredType::NATIVE_DOUBLE);
}

std::vector<Verdict> read_verdicts(const H5::H5File& file) {
  std::vector<Verdict> out;
  if (!link_exists(file, "/verdicts")) return out;  // no claims judged (or a file from before them)
  auto g = file.openGroup("/verdicts");
  auto claim = read_strings(g.openDataSet("claim")), outcome = read_strings(g.openDataSet("outcome")),
       measured = read_strings(g.openDataSet("measured")), bound = read_strings(g.openDataSet("bound")),
       source = read_strings(g.openDataSet("source"));
  auto value = read_column<double>(g.openDataSet("value"), H5::PredType::NATIVE_DOUBLE);
  for (const auto* column : {&outcome, &measured, &bound, &source})
    if (column->size() != claim.size()) throw H5::GroupIException("verdicts", "its columns differ in length");
  if (value.size() != claim.size()) throw H5::GroupIException("verdicts", "its columns differ in length");
  for (size_t i = 0; i < claim.size(); ++i) out.push_back({claim[i], outcome[i], measured[i], bound[i], source[i], value[i]});
  return out;
}

}  // namespace

struct ResultsWriter::Impl {
  std::unique_ptr<WriterLock> lock;
  std::string dir;                         // the loose runs: path + ".runs"
  int64_t token = 0;                       // ties the segments to this main file
  std::vector<RunRecord> pending;          // added, not yet committed
  bool partial_dirty = false;              // the runs in progress changed since the last commit
  std::vector<RunRecord> partial;          // what the next commit checkpoints
  std::set<std::string> partial_ids;       // what partial.h5 holds now
  AttrMap pending_attrs;                   // root attributes for the next compaction
  std::map<std::string, double> pending_summaries;
  std::optional<std::vector<Verdict>> pending_verdicts;  // the table for the next compaction
  bool clear_main_partial = false;         // a version-1 file's /partial, to empty
  std::vector<std::string> segments;       // committed, not yet compacted
  int64_t next_segment = 0;
  int64_t compacted_runs = 0, loose_runs = 0;
};

namespace {

void write_run(H5::Group& parent, const std::string& name, const RunRecord& run, const std::string& owner,
               const std::string& where) {
  auto g = parent.createGroup(name);
  write_attr(g, "run_id", run.id);
  write_attr(g, "index", run.index);
  write_attr(g, "task", run.task);
  write_attr(g, "seed", static_cast<int64_t>(run.seed));
  write_attr(g, "point", run.point);
  write_attr(g, "status", to_string(run.status));
  write_attr(g, "error", run.error);
  write_attr(g, "last_good_step", run.last_good_step);
  write_attr(g, "wall_time_s", run.wall_time_s);
  write_attr(g, "steps_per_s", run.steps_per_s);
  write_attr(g, "device", run.device);
  write_attr(g, "log_every", run.log_every);
  write_attr(g, "config", config_text(run.params));
  auto config = g.createGroup("config");
  for (const auto& [k, v] : run.params.values()) write_attr(config, k, v);
  auto metrics = g.createGroup("metrics");
  write_column(metrics, "step", run.steps, H5::PredType::NATIVE_INT64);
  for (const auto& [metric, values] : run.metrics) {
    if (values.size() != run.steps.size())
      throw ResultsError(owner + ": " + where + "/metrics/" + metric + ": has " + std::to_string(values.size()) +
                         " values for " + std::to_string(run.steps.size()) + " steps");
    write_column(metrics, metric, values, H5::PredType::NATIVE_DOUBLE);
  }
  auto summary = g.createGroup("summary");
  for (const auto& [k, v] : run.summaries) write_attr(summary, k, v);
}

// A segment or the checkpoint: `runs` under `group` of a new file, with the main file's token.
void write_run_file(const std::string& owner, const std::string& file, const std::string& group,
                    const std::vector<RunRecord>& runs, int64_t token, const char* what) {
  auto image = guarded(file, group, what, [&] {
    return build_image(file, [&](H5::H5File& f) {
      write_attr(f, "segment_token", token);
      auto parent = f.createGroup(group);
      for (const auto& run : runs) write_run(parent, run.id, run, file, group + "/" + run.id);
    });
  });
  write_atomically(owner, file, image);
}

int64_t fresh_token() {
  std::random_device device;
  return static_cast<int64_t>((static_cast<uint64_t>(device()) << 31) ^ device()) & 0x7fffffffffffffffLL;
}

}  // namespace

ResultsWriter::ResultsWriter(const std::string& path, const AttrMap& root_attrs,
                             const std::vector<PlannedRun>& plan)
    : impl_(std::make_unique<Impl>()), path_(path) {
  H5::Exception::dontPrint();
  impl_->lock = std::make_unique<WriterLock>(path_);
  impl_->dir = loose_runs_dir(path_);
  impl_->token = fresh_token();
  auto image = guarded(path_, "/", "cannot create", [&] {
    return build_image(path_, [&](H5::H5File& file) {
      for (const auto& [k, v] : root_attrs) write_attr(file, k, v);
      write_attr(file, "schema_version", kSchemaVersion);
      write_attr(file, "segment_token", impl_->token);
      auto g = file.createGroup("/plan");
      std::vector<std::string> ids, points;
      std::vector<uint64_t> seeds;
      for (const auto& p : plan) ids.push_back(p.id), points.push_back(p.point), seeds.push_back(p.seed);
      write_strings(g, "run_id", ids);
      write_strings(g, "point", points);
      hsize_t n = seeds.size();
      auto ds = g.createDataSet("seed", H5::PredType::NATIVE_UINT64, H5::DataSpace(1, &n));
      if (n) ds.write(seeds.data(), H5::PredType::NATIVE_UINT64);
      file.createGroup("/runs");
      file.createGroup("/partial");
      file.createGroup("/summary");
    });
  });
  if (access(parent_of(path_).c_str(), W_OK) != 0)
    throw ResultsError(path_ + ": cannot create: " + parent_of(path_) + ": " + errno_text());
  write_atomically(path_, path_, image);
  // Only now the loose runs of a file this one replaces: before the rename a
  // kill leaves that file whole, after it their token is not the new file's.
  std::error_code ec;
  fs::remove_all(impl_->dir, ec);
  if (ec) throw ResultsError(path_ + ": cannot remove " + impl_->dir + ": " + ec.message());
}

ResultsWriter::ResultsWriter(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  H5::Exception::dontPrint();
  if (access(path.c_str(), R_OK) != 0) throw ResultsError(path + ": cannot open: " + std::strerror(errno));
  impl_->lock = std::make_unique<WriterLock>(path_);
  impl_->dir = loose_runs_dir(path_);
  auto owned = guarded(path_, "/", "cannot open for resume", [&] {
    return std::make_unique<H5::H5File>(path_, H5F_ACC_RDONLY);
  });
  auto root = guarded(path_, "/", "cannot read attributes", [&] { return read_attrs(*owned); });
  auto version = int_attr(root, "schema_version", -1);
  if (version != kSchemaVersion && version != 1)
    throw ResultsError(path_ + ": /: schema_version is " + std::to_string(version) + ", expected 1 or " +
                       std::to_string(kSchemaVersion));
  impl_->token = int_attr(root, "segment_token", 0);
  if (impl_->token == 0) {  // a version-1 file: it becomes version 2 at its first compaction
    impl_->token = fresh_token();
    impl_->pending_attrs["segment_token"] = impl_->token;
  }
  guarded(path_, "/runs", "cannot list runs", [&] {
    for (auto& id : member_names(*owned, "/runs")) finished_.insert(id);
    impl_->clear_main_partial = !member_names(*owned, "/partial").empty();
  });
  owned.reset();
  impl_->compacted_runs = static_cast<int64_t>(finished_.size());
  for (const auto& name : segment_files(impl_->dir)) {
    auto seg = impl_->dir + "/" + name;
    guarded(seg, "/runs", "cannot list runs", [&] {
      H5::H5File file(seg, H5F_ACC_RDONLY);
      if (int_attr(read_attrs(file), "segment_token", -1) != impl_->token) return;  // another file's leftovers
      for (auto& id : member_names(file, "/runs"))
        if (finished_.insert(id).second) ++impl_->loose_runs;
      impl_->segments.push_back(name);
    });
    impl_->next_segment = std::max(impl_->next_segment, static_cast<int64_t>(std::atoll(name.c_str() + 4)) + 1);
  }
  impl_->partial_dirty = true;  // those runs start over
  impl_->pending_attrs["schema_version"] = kSchemaVersion;
}

ResultsWriter::~ResultsWriter() {
  if (closed_ || std::uncaught_exceptions() > 0) return;
  try {
    close();
  } catch (const std::exception&) {
    // every committed run is durable in its segment; readers find it there
  }
}

void ResultsWriter::close() {
  if (closed_) return;
  commit();
  if (!impl_->segments.empty()) compact();
  closed_ = true;
}

void ResultsWriter::add_run(const RunRecord& run) {
  auto where = "/runs/" + run.id;
  if (finished_.count(run.id)) throw ResultsError(path_ + ": " + where + ": run is already in the file");
  impl_->pending.push_back(run);
  finished_.insert(run.id);
  if (impl_->partial_ids.count(run.id)) {  // finished: no longer in progress
    impl_->partial_dirty = true;
    impl_->partial.erase(std::remove_if(impl_->partial.begin(), impl_->partial.end(),
                                        [&](const RunRecord& r) { return r.id == run.id; }),
                         impl_->partial.end());
  }
}

void ResultsWriter::set_partial(const std::vector<const RunRecord*>& runs) {
  impl_->partial.clear();
  for (const auto* run : runs) {
    impl_->partial.push_back(*run);
    impl_->partial.back().status = RunStatus::Running;
  }
  impl_->partial_dirty = true;
}

void ResultsWriter::set_root_attrs(const AttrMap& attrs) {
  for (const auto& [k, v] : attrs) impl_->pending_attrs[k] = v;
}

void ResultsWriter::set_root_summaries(const std::map<std::string, double>& summaries) {
  for (const auto& [k, v] : summaries) impl_->pending_summaries[k] = v;
}

void ResultsWriter::set_verdicts(const std::vector<Verdict>& verdicts) { impl_->pending_verdicts = verdicts; }

void ResultsWriter::commit() {
  auto& m = *impl_;
  if (!m.pending.empty()) {  // one segment: O(these runs)
    fs::create_directories(m.dir);
    auto name = segment_name(m.next_segment);
    auto seg = m.dir + "/" + name;
    write_run_file(path_, seg, "/runs", m.pending, m.token, "cannot write run");
    m.segments.push_back(name);
    ++m.next_segment;
    m.loose_runs += static_cast<int64_t>(m.pending.size());
    m.pending.clear();
  }
  if (m.partial_dirty) {  // O(the runs in progress)
    auto file = m.dir + "/" + kPartialFile;
    if (m.partial.empty()) {
      unlink(file.c_str());
    } else {
      fs::create_directories(m.dir);
      write_run_file(path_, file, "/partial", m.partial, m.token, "cannot write runs in progress");
    }
    m.partial_ids.clear();
    for (const auto& run : m.partial) m.partial_ids.insert(run.id);
    m.partial_dirty = false;
  }
  const bool root_changed = !m.pending_attrs.empty() || !m.pending_summaries.empty() || m.pending_verdicts ||
                            m.clear_main_partial;
  if (root_changed || m.loose_runs >= std::max(kMinLooseRuns, m.compacted_runs)) compact();
}

// The main file plus every segment, as a new main file: a byte copy of the
// old one, the loose runs copied in (H5Ocopy: their chunks as they are), the
// pending root attributes, then fsync and rename. Only then are the segments
// removed: a kill -9 in between leaves runs in both places, which readers
// take once.
void ResultsWriter::compact() {
  auto& m = *impl_;
  auto tmp = path_ + ".tmp";
  // An upper bound of what the new file takes: the old one and every segment
  // whole (each carries its own superblock), an eighth more, and a megabyte.
  auto size_of = [](const std::string& file) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    return ec ? uint64_t{0} : static_cast<uint64_t>(size);
  };
  uint64_t need = size_of(path_);
  for (const auto& name : m.segments) need += size_of(m.dir + "/" + name);
  need += need / 8 + (1u << 20);
  copy_file(path_, path_, tmp, need);
  auto fold = [&] {
    H5::H5File file(tmp, H5F_ACC_RDWR);
    for (const auto& name : m.segments) {
      auto seg = m.dir + "/" + name;
      H5::H5File segment(seg, H5F_ACC_RDONLY);
      for (const auto& id : member_names(segment, "/runs")) {
        auto where = "/runs/" + id;
        if (link_exists(file, where)) continue;
        if (H5Ocopy(segment.getId(), where.c_str(), file.getId(), where.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
          throw H5::GroupIException("compact", "H5Ocopy of " + seg + ":" + where + " failed");
      }
    }
    if (m.clear_main_partial) {
      file.unlink("/partial");
      file.createGroup("/partial");
    }
    for (const auto& [k, v] : m.pending_attrs) write_attr(file, k, v);
    auto summary = file.openGroup("/summary");
    for (const auto& [k, v] : m.pending_summaries) write_attr(summary, k, v);
    if (m.pending_verdicts) write_verdicts(file, *m.pending_verdicts);
    file.close();
  };
  try {
    guarded(tmp, "/", "cannot fold the loose runs in", fold);
  } catch (const ResultsError& e) {
    unlink(tmp.c_str());
    throw ResultsError(std::string(e.what()) + " (every committed run is intact)");
  }
  fsync_file(path_, tmp);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    auto err = errno_text();
    unlink(tmp.c_str());
    throw ResultsError(path_ + ": cannot rename " + tmp + ": " + err + " (every committed run is intact)");
  }
  fsync_directory(parent_of(path_));
  for (const auto& name : m.segments) unlink((m.dir + "/" + name).c_str());
  m.segments.clear();
  m.compacted_runs += m.loose_runs;
  m.loose_runs = 0;
  m.pending_attrs.clear();
  m.pending_summaries.clear();
  m.pending_verdicts.reset();
  m.clear_main_partial = false;
  if (m.partial_ids.empty()) {
    std::error_code ec;
    fs::remove(m.dir, ec);  // only when empty: the file is whole again
  }
}

// ---- reader -------------------------------------------------------------------

const RunRecord* ResultsFile::find(const std::string& id) const {
  for (const auto& r : runs)
    if (r.id == id) return &r;
  return nullptr;
}

std::vector<PlannedRun> ResultsFile::missing() const {
  std::vector<PlannedRun> out;
  for (const auto& p : plan)
    if (!find(p.id)) out.push_back(p);
  return out;
}

std::string ResultsFile::root_string(const std::string& key) const { return str_attr(root, key); }

// Every run group under `group`, by plan index.
static std::vector<RunRecord> read_run_groups(const H5::H5File& file, const std::string& path, const std::string& group,
                                              bool trajectories = true) {
  auto names = guarded(path, group, "cannot list runs", [&] { return member_names(file, group); });
  std::vector<RunRecord> out;
  for (const auto& name : names) {
    auto where = group + "/" + name;
    out.push_back(guarded(path, where, "cannot read run", [&] {
      RunRecord r;
      auto g = file.openGroup(where);
      auto attrs = read_attrs(g);
      r.id = typed_attr<std::string>(attrs, "run_id", "", true);
      r.index = typed_attr<int64_t>(attrs, "index", 0);
      r.task = typed_attr<std::string>(attrs, "task", "");
      r.seed = static_cast<uint64_t>(typed_attr<int64_t>(attrs, "seed", 0));
      r.point = typed_attr<std::string>(attrs, "point", "");
      const auto status = typed_attr<std::string>(attrs, "status", "", true);
      auto parsed = parse_run_status(status);
      if (!parsed) throw H5::AttributeIException("status", "status '" + status + "' is not a run status (ok, failed, diverged, running)");
      r.status = *parsed;
      r.error = typed_attr<std::string>(attrs, "error", "");
      r.last_good_step = typed_attr<int64_t>(attrs, "last_good_step", -1);
      r.wall_time_s = typed_attr<double>(attrs, "wall_time_s", 0.0);
      r.steps_per_s = typed_attr<double>(attrs, "steps_per_s", 0.0);
      r.device = typed_attr<std::string>(attrs, "device", "");
      r.log_every = typed_attr<int64_t>(attrs, "log_every", 0);
      for (const auto& [k, v] : read_attrs(g.openGroup("config"))) r.params.set(k, v);
      if (trajectories) {
        auto metrics = g.openGroup("metrics");
        r.steps = read_column<int64_t>(metrics.openDataSet("step"), H5::PredType::NATIVE_INT64);
        for (hsize_t i = 0; i < metrics.getNumObjs(); ++i) {
          auto m = metrics.getObjnameByIdx(i);
          if (m != "step") r.metrics[m] = read_column<double>(metrics.openDataSet(m), H5::PredType::NATIVE_DOUBLE);
        }
      }
      auto summary = read_attrs(g.openGroup("summary"));
      for (const auto& [k, v] : summary) r.summaries[k] = typed_attr<double>(summary, k, 0.0);
      return r;
    }));
  }
  return out;
}

namespace {

// A segment listed a moment ago is gone: the writer folded it into the main
// file after this reader opened the old one. Reading again sees the new one.
struct SegmentVanished {};

std::unique_ptr<H5::H5File> open_segment(const std::string& seg) {
  try {
    return std::make_unique<H5::H5File>(seg, H5F_ACC_RDONLY);
  } catch (const H5::Exception& e) {
    if (access(seg.c_str(), F_OK) != 0) throw SegmentVanished{};
    throw ResultsError(seg + ": /: not an HDF5 file: " + e.getDetailMsg());
  }
}

ResultsFile read_once(const std::string& path, bool trajectories) {
  ResultsFile out;
  out.path = path;
  if (access(path.c_str(), R_OK) != 0) throw ResultsError(path + ": cannot open: " + std::strerror(errno));
  std::unique_ptr<H5::H5File> owned;
  try {
    owned = std::make_unique<H5::H5File>(path, H5F_ACC_RDONLY);
  } catch (const H5::Exception& e) {
    auto truncated = truncation_of(path);
    throw ResultsError(path + ": " + (truncated.empty() ? "/: not an HDF5 file: " + e.getDetailMsg() : truncated));
  }
  const H5::H5File& file = *owned;
  out.root = guarded(path, "/", "cannot read attributes", [&] {
    auto root = read_attrs(file);
    for (const char* key : {"suite", "task", "tier", "detector", "status", "suite_text", "suite_file", "git_commit", "sets",
                            "filters"})
      typed_attr<std::string>(root, key, "");  // what bench-compare and bench-report go by
    typed_attr<int64_t>(root, "schema_version", 0, true);
    return root;
  });
  auto version = int_attr(out.root, "schema_version", -1);
  if (version != kSchemaVersion && version != 1)
    throw ResultsError(path + ": /: schema_version is " + std::to_string(version) + ", expected 1 or " +
                       std::to_string(kSchemaVersion));
  guarded(path, "/plan", "cannot read the plan", [&] {
    auto g = file.openGroup("/plan");
    auto ids = read_strings(g.openDataSet("run_id"));
    auto points = read_strings(g.openDataSet("point"));
    auto seeds = read_column<uint64_t>(g.openDataSet("seed"), H5::PredType::NATIVE_UINT64);
    if (points.size() != ids.size() || seeds.size() != ids.size())
      throw H5::GroupIException("plan", "run_id, point and seed differ in length");
    for (size_t i = 0; i < ids.size(); ++i) out.plan.push_back({ids[i], points[i], seeds[i]});
  });
  guarded(path, "/summary", "cannot read", [&] {
    auto summary = read_attrs(file.openGroup("/summary"));
    for (const auto& [k, v] : summary) out.summaries[k] = typed_attr<double>(summary, k, 0.0);
  });
  out.verdicts = guarded(path, "/verdicts", "cannot read", [&] { return read_verdicts(file); });

  out.runs = read_run_groups(file, path, "/runs", trajectories);
  out.partial = read_run_groups(file, path, "/partial", trajectories);  // version 1 kept them here
  std::set<std::string> seen;
  for (const auto& r : out.runs) seen.insert(r.id);

  const auto dir = loose_runs_dir(path);
  const auto token = int_attr(out.root, "segment_token", 0);
  if (version >= 2 && token != 0 && access(dir.c_str(), F_OK) == 0) {
    for (const auto& name : segment_files(dir)) {
      auto seg = dir + "/" + name;
      auto segment = open_segment(seg);
      auto attrs = guarded(seg, "/", "cannot read attributes", [&] { return read_attrs(*segment); });
      if (int_attr(attrs, "segment_token", -1) != token) continue;  // not this file's
      for (auto& run : read_run_groups(*segment, seg, "/runs", trajectories))
        if (seen.insert(run.id).second) out.runs.push_back(std::move(run));  // in both during a compaction
    }
    auto partial = dir + "/" + kPartialFile;
    if (access(partial.c_str(), F_OK) == 0) {
      try {
        auto segment = open_segment(partial);
        if (int_attr(guarded(partial, "/", "cannot read attributes", [&] { return read_attrs(*segment); }),
                     "segment_token", -1) == token) {
          out.partial.clear();
          for (auto& run : read_run_groups(*segment, partial, "/partial", trajectories))
            if (!seen.count(run.id)) out.partial.push_back(std::move(run));  // finished since the checkpoint
        }
      } catch (const SegmentVanished&) {
        // replaced by a newer checkpoint or removed at the end: runs in progress are a snapshot anyway
      }
    }
  }
  auto by_index = [](const RunRecord& a, const RunRecord& b) { return a.index < b.index; };
  std::sort(out.runs.begin(), out.runs.end(), by_index);
  std::sort(out.partial.begin(), out.partial.end(), by_index);
  return out;
}

}  // namespace

ResultsFile read_results(const std::string& path, const ReadOptions& options) {
  H5::Exception::dontPrint();
  for (int attempt = 0; attempt < 20; ++attempt) {
    try {
      return read_once(path, options.trajectories);
    } catch (const SegmentVanished&) {
      // the writer compacted meanwhile: read again
    }
  }
  throw ResultsError(path + ": its segments kept changing while it was read (is a writer compacting it?)");
}

}  // namespace genbench

#include "results/store.h"

#include <H5Cpp.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace genbench {

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

double float_attr(const AttrMap& attrs, const std::string& key) {
  auto it = attrs.find(key);
  return it != attrs.end() && std::holds_alternative<double>(it->second) ? std::get<double>(it->second) : 0.0;
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

// ---- writer -------------------------------------------------------------------

struct ResultsWriter::Impl {
  std::unique_ptr<H5::H5File> file;  // H5File is not assignable: built in place
};

static H5::FileAccPropList in_memory() {
  H5::FileAccPropList fapl;
  fapl.setCore(1 << 20, false);  // no backing store: commit() writes the image
  return fapl;
}

ResultsWriter::ResultsWriter(const std::string& path, const AttrMap& root_attrs,
                             const std::vector<PlannedRun>& plan)
    : impl_(std::make_unique<Impl>()), path_(path) {
  H5::Exception::dontPrint();
  guarded(path_, "/", "cannot create", [&] {
    impl_->file = std::make_unique<H5::H5File>(path_, H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, in_memory());
    for (const auto& [k, v] : root_attrs) write_attr(*impl_->file, k, v);
    write_attr(*impl_->file, "schema_version", kSchemaVersion);
    auto g = impl_->file->createGroup("/plan");
    std::vector<std::string> ids, points;
    std::vector<uint64_t> seeds;
    for (const auto& p : plan) ids.push_back(p.id), points.push_back(p.point), seeds.push_back(p.seed);
    write_strings(g, "run_id", ids);
    write_strings(g, "point", points);
    hsize_t n = seeds.size();
    auto ds = g.createDataSet("seed", H5::PredType::NATIVE_UINT64, H5::DataSpace(1, &n));
    if (n) ds.write(seeds.data(), H5::PredType::NATIVE_UINT64);
    impl_->file->createGroup("/runs");
    impl_->file->createGroup("/partial");
    impl_->file->createGroup("/summary");
  });
  commit();
}

ResultsWriter::ResultsWriter(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  H5::Exception::dontPrint();
  if (access(path.c_str(), R_OK) != 0) throw ResultsError(path + ": cannot open: " + std::strerror(errno));
  guarded(path_, "/", "cannot open for resume", [&] {
    impl_->file = std::make_unique<H5::H5File>(path_, H5F_ACC_RDWR, H5::FileCreatPropList::DEFAULT, in_memory());
  });
  auto root = guarded(path_, "/", "cannot read attributes", [&] { return read_attrs(*impl_->file); });
  auto version = int_attr(root, "schema_version", -1);
  if (version != kSchemaVersion)
    throw ResultsError(path_ + ": /: schema_version is " + std::to_string(version) + ", expected " +
                       std::to_string(kSchemaVersion));
  guarded(path_, "/runs", "cannot list runs", [&] {
    auto runs = impl_->file->openGroup("/runs");
    for (hsize_t i = 0; i < runs.getNumObjs(); ++i) finished_.insert(runs.getObjnameByIdx(i));
  });
  set_partial({});  // those runs start over
}

ResultsWriter::~ResultsWriter() = default;

static void write_run(H5::H5File& file, const std::string& where, const RunRecord& run, const std::string& path) {
  auto g = file.createGroup(where);
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
  for (const auto& [name, values] : run.metrics) {
    if (values.size() != run.steps.size())
      throw ResultsError(path + ": " + where + "/metrics/" + name + ": has " + std::to_string(values.size()) +
                         " values for " + std::to_string(run.steps.size()) + " steps");
    write_column(metrics, name, values, H5::PredType::NATIVE_DOUBLE);
  }
  auto summary = g.createGroup("summary");
  for (const auto& [k, v] : run.summaries) write_attr(summary, k, v);
}

static bool link_exists(const H5::H5File& file, const std::string& where) {
  return H5Lexists(file.getId(), where.c_str(), H5P_DEFAULT) > 0;
}

void ResultsWriter::add_run(const RunRecord& run) {
  auto where = "/runs/" + run.id;
  if (finished_.count(run.id)) throw ResultsError(path_ + ": " + where + ": run is already in the file");
  guarded(path_, where, "cannot write run", [&] {
    write_run(*impl_->file, where, run, path_);
    if (link_exists(*impl_->file, "/partial/" + run.id)) impl_->file->unlink("/partial/" + run.id);
  });
  finished_.insert(run.id);
}

void ResultsWriter::set_partial(const std::vector<const RunRecord*>& runs) {
  guarded(path_, "/partial", "cannot write runs in progress", [&] {
    if (link_exists(*impl_->file, "/partial")) impl_->file->unlink("/partial");
    impl_->file->createGroup("/partial");
    for (const auto* run : runs) {
      RunRecord copy = *run;
      copy.status = RunStatus::Running;
      write_run(*impl_->file, "/partial/" + run->id, copy, path_);
    }
  });
}

void ResultsWriter::set_root_attrs(const AttrMap& attrs) {
  guarded(path_, "/", "cannot write attributes", [&] {
    for (const auto& [k, v] : attrs) write_attr(*impl_->file, k, v);
  });
}

void ResultsWriter::set_root_summaries(const std::map<std::string, double>& summaries) {
  guarded(path_, "/summary", "cannot write summaries", [&] {
    auto g = impl_->file->openGroup("/summary");
    for (const auto& [k, v] : summaries) write_attr(g, k, v);
  });
}

void ResultsWriter::commit() {
  std::vector<char> image;
  guarded(path_, "/", "cannot build the file image", [&] {
    auto id = impl_->file->getId();
    if (H5Fflush(id, H5F_SCOPE_GLOBAL) < 0) throw H5::FileIException("commit", "H5Fflush failed");
    auto size = H5Fget_file_image(id, nullptr, 0);
    if (size < 0) throw H5::FileIException("commit", "H5Fget_file_image failed");
    image.resize(static_cast<size_t>(size));
    H5Fget_file_image(id, image.data(), image.size());
  });
  auto tmp = path_ + ".tmp";
  auto fail = [&](const char* what) {
    auto err = std::string(std::strerror(errno));
    unlink(tmp.c_str());
    throw ResultsError(path_ + ": cannot " + what + " " + tmp + ": " + err +
                       " (the last committed file is intact)");
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create");
  for (size_t done = 0; done < image.size();) {
    auto n = ::write(fd, image.data() + done, image.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
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
  if (::rename(tmp.c_str(), path_.c_str()) != 0) fail("rename");
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
static std::vector<RunRecord> read_run_groups(const H5::H5File& file, const std::string& path, const std::string& group) {
  auto names = guarded(path, group, "cannot list runs", [&] {
    std::vector<std::string> n;
    auto runs = file.openGroup(group);
    for (hsize_t i = 0; i < runs.getNumObjs(); ++i) n.push_back(runs.getObjnameByIdx(i));
    return n;
  });
  std::vector<RunRecord> out;
  for (const auto& name : names) {
    auto where = group + "/" + name;
    out.push_back(guarded(path, where, "cannot read run", [&] {
      RunRecord r;
      auto g = file.openGroup(where);
      auto attrs = read_attrs(g);
      r.id = str_attr(attrs, "run_id");
      r.index = int_attr(attrs, "index", 0);
      r.task = str_attr(attrs, "task");
      r.seed = static_cast<uint64_t>(int_attr(attrs, "seed", 0));
      r.point = str_attr(attrs, "point");
      const auto status = str_attr(attrs, "status");
      auto parsed = parse_run_status(status);
      if (!parsed) throw H5::AttributeIException("status", "status '" + status + "' is not a run status (ok, failed, diverged, running)");
      r.status = *parsed;
      r.error = str_attr(attrs, "error");
      r.last_good_step = int_attr(attrs, "last_good_step", -1);
      r.wall_time_s = float_attr(attrs, "wall_time_s");
      r.steps_per_s = float_attr(attrs, "steps_per_s");
      r.device = str_attr(attrs, "device");
      r.log_every = int_attr(attrs, "log_every", 0);
      for (const auto& [k, v] : read_attrs(g.openGroup("config"))) r.params.set(k, v);
      auto metrics = g.openGroup("metrics");
      r.steps = read_column<int64_t>(metrics.openDataSet("step"), H5::PredType::NATIVE_INT64);
      for (hsize_t i = 0; i < metrics.getNumObjs(); ++i) {
        auto m = metrics.getObjnameByIdx(i);
        if (m != "step") r.metrics[m] = read_column<double>(metrics.openDataSet(m), H5::PredType::NATIVE_DOUBLE);
      }
      for (const auto& [k, v] : read_attrs(g.openGroup("summary")))
        if (std::holds_alternative<double>(v)) r.summaries[k] = std::get<double>(v);
      return r;
    }));
  }
  std::sort(out.begin(), out.end(), [](const RunRecord& a, const RunRecord& b) { return a.index < b.index; });
  return out;
}

ResultsFile read_results(const std::string& path) {
  H5::Exception::dontPrint();
  ResultsFile out;
  out.path = path;
  if (access(path.c_str(), R_OK) != 0) throw ResultsError(path + ": cannot open: " + std::strerror(errno));
  auto owned = guarded(path, "/", "not an HDF5 file", [&] { return std::make_unique<H5::H5File>(path, H5F_ACC_RDONLY); });
  const H5::H5File& file = *owned;
  out.root = guarded(path, "/", "cannot read attributes", [&] { return read_attrs(file); });
  auto version = int_attr(out.root, "schema_version", -1);
  if (version != kSchemaVersion)
    throw ResultsError(path + ": /: schema_version is " + std::to_string(version) + ", expected " +
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
  auto summary = guarded(path, "/summary", "cannot read", [&] { return read_attrs(file.openGroup("/summary")); });
  for (const auto& [k, v] : summary)
    if (std::holds_alternative<double>(v)) out.summaries[k] = std::get<double>(v);

  out.runs = read_run_groups(file, path, "/runs");
  if (link_exists(file, "/partial")) out.partial = read_run_groups(file, path, "/partial");
  return out;
}

}  // namespace genbench

#include "harness/manifest.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.h"
#include "core/yaml_reader.h"
#include "results/store.h"

namespace genbench {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kManifestVersion = 1;

std::vector<std::string> strings_of(const YamlReader& reader, const YAML::Node& node, const std::string& key) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsSequence()) reader.fail(node.Mark(), key, "expected a list, found " + YamlReader::describe(node));
  for (const auto& item : node) out.push_back(reader.scalar(item, key));
  return out;
}

}  // namespace

std::string Manifest::shard_file(int64_t shard) const { return dir + "/shards/" + std::to_string(shard) + ".h5"; }

std::string Manifest::merged_file() const { return dir + "/" + suite + ".h5"; }

std::pair<size_t, size_t> Manifest::shard_range(int64_t shard) const {
  const auto n = static_cast<int64_t>(runs.size());
  return {static_cast<size_t>(shard * n / shards), static_cast<size_t>((shard + 1) * n / shards)};
}

Manifest manifest_of(const std::vector<RunSpec>& runs) {
  Manifest m;
  for (const auto& r : runs) m.runs.push_back({r.index, r.id, r.point, config_text(r.params), r.seed});
  return m;
}

void write_manifest(const Manifest& m) {
  if (fs::exists(m.path()))
    throw ConfigError("bench-run: " + m.path() + " exists: that folder holds a submitted sweep (see bench-run "
                      "--slurm-status " + m.dir + "); give --slurm another folder");
  std::error_code ec;
  for (const char* sub : {"", "/shards", "/logs"}) {
    fs::create_directories(m.dir + sub, ec);
    if (ec) throw ConfigError("bench-run: --slurm: cannot create " + m.dir + sub + ": " + ec.message());
  }
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "genbench_manifest" << YAML::Value << kManifestVersion;
  out << YAML::Key << "suite" << YAML::Value << m.suite;
  out << YAML::Key << "suite_file" << YAML::Value << m.suite_file;
  out << YAML::Key << "tier" << YAML::Value << m.tier;
  out << YAML::Key << "sets" << YAML::Value << YAML::Flow << m.sets;
  out << YAML::Key << "filters" << YAML::Value << YAML::Flow << m.filters;
  out << YAML::Key << "seeds" << YAML::Value << m.seeds;
  out << YAML::Key << "sweeps" << YAML::Value << YAML::Flow << m.sweeps;
  out << YAML::Key << "shards" << YAML::Value << m.shards;
  out << YAML::Key << "throttle" << YAML::Value << m.throttle;
  out << YAML::Key << "max_requeues" << YAML::Value << m.max_requeues;
  out << YAML::Key << "jobs_per_shard" << YAML::Value << m.jobs_per_shard;
  out << YAML::Key << "sbatch_args" << YAML::Value << YAML::Flow << m.sbatch_args;
  out << YAML::Key << "bench_run" << YAML::Value << m.bench_run;
  out << YAML::Key << "created" << YAML::Value << m.created;
  out << YAML::Key << "git_commit" << YAML::Value << m.git_commit;
  out << YAML::Key << "host" << YAML::Value << m.host;
  out << YAML::Key << "command_line" << YAML::Value << m.command_line;
  out << YAML::Key << "suite_text" << YAML::Value << YAML::Literal << m.suite_text;
  out << YAML::Key << "runs" << YAML::Value << YAML::BeginSeq;
  for (const auto& r : m.runs) {
    out << YAML::BeginMap;
    out << YAML::Key << "index" << YAML::Value << r.index;
    out << YAML::Key << "id" << YAML::Value << r.id;
    out << YAML::Key << "point" << YAML::Value << r.point;
    out << YAML::Key << "seed" << YAML::Value << r.seed;
    out << YAML::Key << "config" << YAML::Value << YAML::Literal << r.config;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  if (!out.good()) throw ConfigError("bench-run: " + m.path() + ": cannot write the manifest: " + out.GetLastError());
  // Written whole or not at all: a shard must never read half a plan.
  auto tmp = m.path() + ".tmp";
  {
    std::ofstream file(tmp);
    file << "# genbench sweep manifest: the frozen plan every shard runs (bench-run --manifest)\n"
         << out.c_str() << "\n";
    file.flush();
    if (!file) throw ConfigError("bench-run: cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), m.path().c_str()) != 0) throw ConfigError("bench-run: cannot rename " + tmp);
}

Manifest read_manifest(const std::string& dir_or_file) {
  Manifest m;
  m.dir = dir_or_file;
  if (fs::path(dir_or_file).filename() == "manifest.yaml") m.dir = fs::path(dir_or_file).parent_path().string();
  if (m.dir.empty()) m.dir = ".";
  std::ifstream in(m.path());
  if (!in) throw ConfigError(m.path() + ": cannot read the manifest (is " + m.dir + " a folder bench-run --slurm made?)");
  std::stringstream text;
  text << in.rdbuf();
  YamlReader reader{m.path()};
  auto root = reader.load(text.str());
  if (!root.IsMap()) reader.fail(root.Mark(), "/", "expected a manifest map, found " + YamlReader::describe(root));
  auto need = [&](const char* key) {
    auto node = root[key];
    if (!node) reader.fail(root.Mark(), key, "missing (not a manifest bench-run wrote?)");
    return node;
  };
  auto version = reader.integer(need("genbench_manifest"), "genbench_manifest", 1);
  if (version != kManifestVersion)
    reader.fail(root["genbench_manifest"].Mark(), "genbench_manifest",
                "version " + std::to_string(version) + ", this bench-run reads " + std::to_string(kManifestVersion));
  m.suite = reader.scalar(need("suite"), "suite");
  m.suite_file = reader.scalar(need("suite_file"), "suite_file");
  m.tier = root["tier"] && !root["tier"].IsNull() ? reader.scalar(root["tier"], "tier") : "";
  m.sets = strings_of(reader, root["sets"], "sets");
  m.filters = strings_of(reader, root["filters"], "filters");
  m.seeds = root["seeds"] && !root["seeds"].IsNull() ? reader.scalar(root["seeds"], "seeds") : "";
  m.sweeps = strings_of(reader, root["sweeps"], "sweeps");
  m.shards = reader.integer(need("shards"), "shards", 1);
  m.throttle = reader.integer(need("throttle"), "throttle", 0);
  m.max_requeues = reader.integer(need("max_requeues"), "max_requeues", 0);
  m.jobs_per_shard = reader.integer(need("jobs_per_shard"), "jobs_per_shard", 1);
  m.sbatch_args = strings_of(reader, root["sbatch_args"], "sbatch_args");
  m.bench_run = reader.scalar(need("bench_run"), "bench_run");
  for (auto [key, field] : {std::pair{"created", &m.created}, {"git_commit", &m.git_commit}, {"host", &m.host},
                            {"command_line", &m.command_line}})
    if (root[key] && !root[key].IsNull()) *field = reader.scalar(root[key], key);
  m.suite_text = reader.scalar(need("suite_text"), "suite_text");
  auto runs = need("runs");
  if (!runs.IsSequence()) reader.fail(runs.Mark(), "runs", "expected a list, found " + YamlReader::describe(runs));
  for (const auto& node : runs) {
    ManifestRun r;
    r.index = reader.integer(node["index"], "runs.index", 0);
    if (r.index != static_cast<int64_t>(m.runs.size()))
      reader.fail(node.Mark(), "runs.index", "expected " + std::to_string(m.runs.size()) + ", found " + std::to_string(r.index));
    r.id = reader.scalar(node["id"], "runs.id");
    r.point = node["point"] && !node["point"].IsNull() ? reader.scalar(node["point"], "runs.point") : "";
    r.seed = static_cast<uint64_t>(reader.integer(node["seed"], "runs.seed", 0));
    r.config = node["config"] && !node["config"].IsNull() ? reader.scalar(node["config"], "runs.config") : "";
    m.runs.push_back(std::move(r));
  }
  if (m.shards > static_cast<int64_t>(std::max<size_t>(m.runs.size(), 1)))
    reader.fail(root["shards"].Mark(), "shards", std::to_string(m.shards) + " shards for " + std::to_string(m.runs.size()) + " runs");
  return m;
}

void check_frozen_plan(const Manifest& m, const std::vector<RunSpec>& runs) {
  auto differs = [&](const std::string& what) {
    throw ConfigError(m.path() + ": " + what + ": this bench-run does not expand the stored suite to the frozen plan "
                      "(the manifest was made at commit " + m.git_commit + "; run the shards with that build, " +
                      m.bench_run + ")");
  };
  if (runs.size() != m.runs.size())
    differs(std::to_string(runs.size()) + " runs expanded, " + std::to_string(m.runs.size()) + " frozen");
  for (size_t i = 0; i < runs.size(); ++i)
    if (runs[i].id != m.runs[i].id || runs[i].seed != m.runs[i].seed || runs[i].point != m.runs[i].point)
      differs("run " + std::to_string(i) + " expands to " + runs[i].id + ", frozen as " + m.runs[i].id);
}

}  // namespace genbench

#include "support.h"

#include "harness/suite_file.h"
#include "harness/verdicts.h"
#include "suites/claims.h"

#include "tasks/task.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace genbench::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "genbench-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

std::string source_path(const std::string& relative) { return std::string(SOURCE_DIR) + "/" + relative; }

std::string with_task_list(std::string text) {
  std::string names;
  for (const auto* t : all_tasks()) names += (names.empty() ? "" : ", ") + t->name();
  if (auto at = text.find("TASKS"); at != std::string::npos) text.replace(at, 5, names);
  return text;
}

static pid_t spawn(std::string exe, const std::vector<std::string>& args, const std::string& out,
                   const std::string& err, const RunOptions& options) {
  std::vector<char*> argv;
  argv.push_back(exe.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    setpgid(0, 0);  // its own group: a test's signals reach bench-run and its workers only
    if (options.max_file_bytes >= 0) {
      rlimit lim{static_cast<rlim_t>(options.max_file_bytes), static_cast<rlim_t>(options.max_file_bytes)};
      setrlimit(RLIMIT_FSIZE, &lim);
      signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG, like ENOSPC
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static Outcome run_program(const std::string& exe, const std::vector<std::string>& args, const RunOptions& options) {
  TempDir dir;
  Outcome o;
  o.exit_code = wait_exit(spawn(exe, args, dir.file("out"), dir.file("err"), options));
  o.out = read_file(dir.file("out"));
  o.err = read_file(dir.file("err"));
  return o;
}

Outcome bench_run(const std::vector<std::string>& args, const RunOptions& options) {
  return run_program(BENCH_RUN, args, options);
}

Outcome bench_compare(const std::vector<std::string>& args) { return run_program(BENCH_COMPARE, args, {}); }
Outcome bench_merge(const std::vector<std::string>& args) { return run_program(BENCH_MERGE, args, {}); }

ResultsFile run_tier(const std::string& suite_file, const std::string& tier) {
  TempDir dir;
  auto out = dir.file(tier + ".h5");
  auto r = bench_run({source_path("configs/" + suite_file), "--tier", tier, "--out", out});
  if (r.exit_code != 0)
    throw std::runtime_error("bench-run " + suite_file + " --tier " + tier + " exited " + std::to_string(r.exit_code) +
                             ":\n" + r.err);
  if (tier == "ci") {  // `make regress REUSE=1` compares this file instead of running the tier again
    namespace fs = std::filesystem;
    auto kept = fs::path(BENCH_RUN).parent_path() / "regress";
    fs::create_directories(kept);
    auto name = fs::path(suite_file).stem().string() + "-ci.h5";
    fs::copy_file(out, kept / (name + ".tmp"), fs::copy_options::overwrite_existing);
    fs::rename(kept / (name + ".tmp"), kept / name);
  }
  return read_results(out);
}

void require_every_claim(const ResultsFile& file) {
  INFO(file.path << ":\n" << verdict_table(file.verdicts));
  REQUIRE_FALSE(file.verdicts.empty());
  for (const auto& v : file.verdicts) {
    CAPTURE(v.claim, v.measured, v.bound);
    CHECK(v.outcome == "pass");
  }
}

void require_every_claim_now(const std::string& suite_file, const std::string& tier, const ResultsFile& file) {
  auto suite = load_suite(source_path("configs/" + suite_file));
  auto verdicts = judge_tier(suite, tier, file);
  INFO(file.path << " judged by configs/" << suite_file << " (tier " << tier << "):\n" << verdict_table(verdicts));
  REQUIRE_FALSE(verdicts.empty());  // a tier that claims nothing proves nothing here
  REQUIRE(verdicts.size() == claims_for(suite, tier).size());
  for (const auto& v : verdicts) {
    CAPTURE(v.claim, v.measured, v.bound);
    CHECK(v.outcome == "pass");
  }
}

pid_t bench_run_async(const std::vector<std::string>& args, const std::string& dir) {
  return spawn(BENCH_RUN, args, dir + "/out", dir + "/err", {});
}

void require_same_runs(const ResultsFile& a, const ResultsFile& b) {
  REQUIRE(a.plan.size() == b.plan.size());
  for (size_t i = 0; i < a.plan.size(); ++i) CHECK(a.plan[i].id == b.plan[i].id);
  REQUIRE(a.runs.size() == b.runs.size());
  for (size_t i = 0; i < a.runs.size(); ++i) {
    const auto &x = a.runs[i], &y = b.runs[i];
    CAPTURE(x.id, x.point);
    REQUIRE(x.id == y.id);
    CHECK(x.index == y.index);
    CHECK(x.status == y.status);
    CHECK(x.steps == y.steps);
    CHECK(config_text(x.params) == config_text(y.params));
    REQUIRE(x.metrics.size() == y.metrics.size());
    for (const auto& [name, values] : x.metrics) {
      const auto& other = y.metrics.at(name);
      REQUIRE(values.size() == other.size());
      CHECK(std::memcmp(values.data(), other.data(), values.size() * sizeof(double)) == 0);  // bit for bit
    }
    CHECK(x.summaries == y.summaries);
  }
}

}  // namespace genbench::test

#include "harness/slurm.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "core/errors.h"
#include "core/text.h"
#include "harness/provenance.h"
#include "harness/verdicts.h"
#include "results/merge.h"
#include "results/status.h"
#include "results/store.h"

namespace genbench {

namespace fs = std::filesystem;

namespace {

// Slurm's own default: array indices 0..1000.
constexpr int64_t kDefaultMaxArraySize = 1001;

struct CommandResult {
  int rc = -1;
  std::string out, err;
};

// Runs argv (looked up on PATH) with `input` on its stdin; stdout and stderr kept apart.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "") {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw ConfigError(std::string("bench-run: cannot create pipes: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) throw ConfigError(std::string("bench-run: cannot fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(in[0], 0), dup2(out[1], 1), dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot execute %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(in[0]), close(out[1]), close(err[1]);
  if (!input.empty()) (void)!::write(in[1], input.data(), input.size());
  close(in[1]);
  CommandResult r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  while (open > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      auto n = ::read(fds[k].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[k]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[k].fd);
        fds[k].fd = -1;
        --open;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

std::string shell_quote(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_-./=:,+%@", c));
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// MaxArraySize from `scontrol show config`; Slurm's default when it cannot be read.
int64_t max_array_size() {
  auto r = run_command({"scontrol", "show", "config"});
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("MaxArraySize", 0) != 0) continue;
    auto eq = line.find('=');
    if (eq != std::string::npos) {
      auto n = std::atoll(line.c_str() + eq + 1);
      if (n > 0) return n;
    }
  }
  return kDefaultMaxArraySize;
}

// "0-3,7,9-10" of sorted indices.
std::string index_ranges(const std::vector<int64_t>& indices) {
  std::string out;
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(indices[i]);
    if (j > i) out += "-" + std::to_string(indices[j]);
    i = j + 1;
  }
  return out;
}

// A job array of shard indices, cut at the cluster's MaxArraySize: each
// piece is an array of indices below it, and its offset is exported.
struct ArrayPiece {
  int64_t offset = 0;
  std::vector<int64_t> local;  // shard - offset
  std::string spec(int64_t throttle) const {
    return index_ranges(local) + (throttle > 0 ? "%" + std::to_string(throttle) : "");
  }
};

std::vector<ArrayPiece> array_pieces(const std::vector<int64_t>& shards, int64_t max_size) {
  std::map<int64_t, ArrayPiece> by_offset;
  for (auto s : shards) {
    auto offset = s / max_size * max_size;
    by_offset[offset].offset = offset;
    by_offset[offset].local.push_back(s - offset);
  }
  std::vector<ArrayPiece> out;
  for (auto& [offset, piece] : by_offset) out.push_back(std::move(piece));
  return out;
}

std::string job_id_of(const CommandResult& r) {  // --parsable: "ID" or "ID;cluster"
  auto text = trimmed(r.out);
  return text.substr(0, text.find(';'));
}

std::string sbatch(const std::vector<std::string>& args, const std::string& what) {
  std::vector<std::string> argv{"sbatch", "--parsable"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  auto id = job_id_of(r);
  if (r.rc != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    std::string command;
    for (const auto& a : argv) command += (command.empty() ? "" : " ") + shell_quote(a);
    throw ConfigError("bench-run: sbatch refused the " + what + " (exit " + std::to_string(r.rc) +
                      "): " + trimmed(r.err + r.out) + "\n  command: " + command);
  }
  return id;
}

void log_submission(const Manifest& m, const std::string& line) {
  std::ofstream jobs(m.dir + "/jobs.txt", std::ios::app);
  jobs << utc_now() << " " << line << "\n";
}

struct Submitted {
  std::vector<std::pair<std::string, ArrayPiece>> arrays;  // job id, what it runs
  std::string merge;
};

// The arrays of `shards` and a merge job after them all.
Submitted submit_shards(const Manifest& m, const std::vector<int64_t>& shards, const std::vector<std::string>& extra) {
  Submitted s;
  std::vector<std::string> ids;
  for (auto& piece : array_pieces(shards, max_array_size())) {
    std::vector<std::string> args{"--array=" + piece.spec(m.throttle)};
    if (piece.offset > 0) args.push_back("--export=ALL,GENBENCH_SHARD_OFFSET=" + std::to_string(piece.offset));
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(m.dir + "/array.sh");
    auto id = sbatch(args, "job array");
    log_submission(m, "array " + id + " offset " + std::to_string(piece.offset) + " indices " + piece.spec(m.throttle));
    ids.push_back(id);
    s.arrays.emplace_back(id, std::move(piece));
  }
  std::vector<std::string> args{"--dependency=afterany:" + join(ids, ":"), "--kill-on-invalid-dep=yes"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(m.dir + "/merge.sh");
  s.merge = sbatch(args, "merge job");
  log_submission(m, "merge " + s.merge + " after " + join(ids, ","));
  return s;
}

void print_submitted(const Manifest& m, const Submitted& s) {
  std::vector<std::string> ids;
  for (const auto& [id, piece] : s.arrays) {
    std::printf("  array  job %s: shards %s%s\n", id.c_str(), piece.spec(m.throttle).c_str(),
                piece.offset ? (" + " + std::to_string(piece.offset)).c_str() : "");
    ids.push_back(id);
  }
  ids.push_back(s.merge);
  std::printf("  merge  job %s, once the array has ended -> %s\n", s.merge.c_str(), m.merged_file().c_str());
  std::printf("watch:    bench-run --slurm-status %s    (or squeue -j %s)\n", m.dir.c_str(), join(ids, ",").c_str());
  std::printf("logs:     %s/logs/\n", m.dir.c_str());
  std::printf("if shards are lost: bench-run --slurm-resubmit %s\n", m.dir.c_str());
}

// Every array job this folder submitted: job id -> shard offset.
std::map<std::string, int64_t> submitted_arrays(const Manifest& m) {
  std::map<std::string, int64_t> out;
  std::ifstream jobs(m.dir + "/jobs.txt");
  for (std::string line; std::getline(jobs, line);) {
    std::istringstream words(line);
    std::string when, kind, id, offset_word;
    int64_t offset = 0;
    if (words >> when >> kind >> id >> offset_word >> offset && kind == "array") out[id] = offset;
  }
  return out;
}

// shard -> Slurm state ("PENDING", "RUNNING", ...) of the jobs still in squeue.
std::map<int64_t, std::string> queued_shards(const Manifest& m) {
  std::map<int64_t, std::string> out;
  auto arrays = submitted_arrays(m);
  if (arrays.empty()) return out;
  std::vector<std::string> ids;
  for (const auto& [id, offset] : arrays) ids.push_back(id);
  // One query per array: squeue fails as a whole on a job id it has forgotten.
  for (const auto& id : ids) {
    auto r = run_command({"squeue", "-h", "-r", "-j", id, "-o", "%F %K %T"});
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string array_id, task, state;
      if (!(words >> array_id >> task >> state) || !arrays.count(array_id)) continue;
      if (task.find_first_not_of("0123456789") != std::string::npos) continue;  // "[0-3%2]": not yet split
      out[arrays[array_id] + std::atoll(task.c_str())] = state;
    }
  }
  return out;
}

struct ShardState {
  std::string state;  // done, failed, running, pending, stopped, missing, unreadable
  size_t finished = 0, planned = 0, failed = 0;
  std::string detail;
  bool done() const { return state == "done" || state == "failed"; }
};

ShardState shard_state(const Manifest& m, int64_t shard, const std::map<int64_t, std::string>& queued) {
  ShardState s;
  auto [first, last] = m.shard_range(shard);
  s.planned = last - first;
  auto file = m.shard_file(shard);
  bool complete = false;
  if (fs::exists(file)) {
    try {
      auto results = read_results(file, {/*trajectories=*/false});
      s.finished = results.runs.size();
      for (const auto& r : results.runs) s.failed += r.status == RunStatus::Failed;
      complete = results.root_string("status") == to_string(FileStatus::Complete) && s.finished == s.planned;
    } catch (const ResultsError& e) {
      s.state = "unreadable";
      s.detail = e.what();
    }
  }
  auto q = queued.find(shard);
  if (!s.state.empty()) return s;  // unreadable
  if (complete) {
    s.state = s.failed ? "failed" : "done";
  } else if (q != queued.end()) {
    s.state = q->second == "PENDING" ? "pending" : q->second == "RUNNING" ? "running" : "queued (" + q->second + ")";
  } else {
    s.state = fs::exists(file) ? "stopped" : "missing";
  }
  return s;
}

}  // namespace

std::vector<std::pair<int64_t, std::string>> array_specs(const std::vector<int64_t>& shards, int64_t max_size,
                                                         int64_t throttle) {
  std::vector<std::pair<int64_t, std::string>> out;
  for (const auto& piece : array_pieces(shards, max_size)) out.emplace_back(piece.offset, piece.spec(throttle));
  return out;
}

std::string array_script(const Manifest& m) {
  const auto dir = shell_quote(m.dir), exe = shell_quote(m.bench_run);
  const auto n = std::to_string(m.shards), jobs = std::to_string(m.jobs_per_shard),
             requeues = std::to_string(m.max_requeues);
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# genbench: one element of this job array per shard of " << m.dir << "/manifest.yaml\n"
    << "# (written by bench-run --slurm; bench-run --slurm-resubmit submits it again for lost shards).\n"
    << "#SBATCH --job-name=genbench-" << m.suite << "\n"
    << "#SBATCH --output=" << m.dir << "/logs/shard-%A_%a.out\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --cpus-per-task=" << jobs << "\n"
    << "#SBATCH --requeue\n"
    << "set -u\n"
    << "shard=$(( SLURM_ARRAY_TASK_ID + ${GENBENCH_SHARD_OFFSET:-0} ))\n"
    << "restarts=${SLURM_RESTART_COUNT:-0}\n"
    << "echo \"genbench: shard $shard/" << n << " job ${SLURM_JOB_ID} restart $restarts on $(hostname) started $(date +%s.%N)\"\n"
    << "# The batch shell outlives a SIGTERM (it is handled once srun returns), so\n"
    << "# that it can requeue the shard below.\n"
    << "trap 'echo \"genbench: the batch script got SIGTERM\"' TERM\n"
    << "# srun: the step is signalled at once on preemption or at the time limit;\n"
    << "# bench-run then commits what finished, checkpoints the rest and exits 143.\n"
    << "srun --ntasks=1 --cpus-per-task=" << jobs << " " << exe << " --manifest " << dir << " --shard \"$shard/" << n
    << "\" --jobs " << jobs << "\n"
    << "rc=$?\n"
    << "echo \"genbench: shard $shard/" << n << " job ${SLURM_JOB_ID} ended $(date +%s.%N) exit $rc\"\n"
    << "if [ $rc -eq 143 ] || [ $rc -eq 129 ]; then\n"
    << "  if [ \"$restarts\" -lt " << requeues << " ]; then\n"
    << "    # a job that exits by itself is not requeued by Slurm: requeue it, then\n"
    << "    # wait to be stopped; the next start resumes the shard's file\n"
    << "    echo \"genbench: shard $shard stopped (exit $rc): requeue $((restarts + 1)) of " << requeues << "\"\n"
    << "    if scontrol requeue \"$SLURM_JOB_ID\"; then sleep 300; exit $rc; fi\n"
    << "  fi\n"
    << "  echo \"genbench: shard $shard stopped (exit $rc) after $restarts requeues; rerun it with: bench-run "
       "--slurm-resubmit "
    << dir << "\"\n"
    << "fi\n"
    << "exit $rc\n";
  return s.str();
}

std::string merge_script(const Manifest& m) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# genbench: joins the shards of " << m.dir << " into " << m.merged_file() << "\n"
    << "# once the job array has ended (afterany: whatever the shards' ends).\n"
    << "#SBATCH --job-name=genbench-" << m.suite << "-merge\n"
    << "#SBATCH --output=" << m.dir << "/logs/merge-%j.out\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --ntasks=1\n"
    << "exec " << shell_quote(m.bench_run) << " --slurm-merge " << shell_quote(m.dir) << "\n";
  return s.str();
}

namespace {

void write_script(const std::string& path, const std::string& text) {
  {
    std::ofstream out(path);
    out << text;
    if (!out) throw ConfigError("bench-run: cannot write " + path);
  }
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
}

std::vector<int64_t> all_shards(const Manifest& m) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < m.shards; ++i) out.push_back(i);
  return out;
}

}  // namespace

int submit_sweep(Manifest m, const SlurmOptions& o) {
  const auto runs = static_cast<int64_t>(m.runs.size());
  m.shards = o.shards > 0 ? o.shards : std::min<int64_t>(runs, 100);
  if (m.shards > runs)
    throw ConfigError("bench-run: --shards " + std::to_string(m.shards) + ": the plan has only " +
                      std::to_string(runs) + " runs");
  m.throttle = o.throttle;
  m.max_requeues = o.max_requeues;
  m.jobs_per_shard = o.jobs_per_shard;
  m.sbatch_args = o.sbatch_args;
  m.dir = fs::absolute(o.dir).lexically_normal().string();
  if (m.dir.size() > 1 && m.dir.back() == '/') m.dir.pop_back();
  if (o.dry_run) {
    auto array = array_script(m), merge = merge_script(m);
    std::printf("# %s/array.sh\n%s\n# %s/merge.sh\n%s\n", m.dir.c_str(), array.c_str(), m.dir.c_str(), merge.c_str());
    for (const auto& piece : array_pieces(all_shards(m), max_array_size())) {
      std::vector<std::string> argv{"sbatch", "--test-only", "--array=" + piece.spec(m.throttle)};
      argv.insert(argv.end(), o.sbatch_args.begin(), o.sbatch_args.end());
      auto r = run_command(argv, array);  // the script on stdin: nothing is written
      std::printf("sbatch --test-only --array=%s: %s\n", piece.spec(m.throttle).c_str(), trimmed(r.err + r.out).c_str());
      if (r.rc != 0) {
        std::fprintf(stderr, "bench-run: sbatch --test-only refused the job array (exit %d)\n", r.rc);
        return 2;
      }
    }
    return 0;
  }
  if (run_command({"sbatch", "--version"}).rc != 0)
    throw ConfigError("bench-run: --slurm: sbatch cannot be run here (is this a Slurm login node?); nothing was written");
  write_manifest(m);
  write_script(m.dir + "/array.sh", array_script(m));
  write_script(m.dir + "/merge.sh", merge_script(m));
  Submitted submitted;
  try {
    submitted = submit_shards(m, all_shards(m), m.sbatch_args);
  } catch (const ConfigError& e) {
    if (fs::exists(m.dir + "/jobs.txt")) throw;  // some jobs are in: --slurm-resubmit goes on from here
    for (const char* file : {"/manifest.yaml", "/array.sh", "/merge.sh"}) fs::remove(m.dir + file);
    throw ConfigError(std::string(e.what()) + "\nbench-run: nothing was submitted; " + m.dir + " is free again");
  }
  std::printf("bench-run: %s%s: %lld runs in %lld shards%s -> %s\n", m.suite.c_str(),
              m.tier.empty() ? "" : (" tier " + m.tier).c_str(), static_cast<long long>(runs),
              static_cast<long long>(m.shards),
              m.throttle > 0 ? (", at most " + std::to_string(m.throttle) + " at once").c_str() : "",
              m.dir.c_str());
  std::printf("  manifest %s\n", m.path().c_str());
  print_submitted(m, submitted);
  return 0;
}

int slurm_status(const std::string& dir) {
  auto m = read_manifest(dir);
  auto queued = queued_shards(m);
  std::map<std::string, int> counts;
  size_t finished = 0;
  std::printf("%s: %zu runs in %lld shards\n", m.dir.c_str(), m.runs.size(), static_cast<long long>(m.shards));
  std::printf("  %-6s %-12s %s\n", "shard", "state", "runs");
  for (int64_t i = 0; i < m.shards; ++i) {
    auto s = shard_state(m, i, queued);
    ++counts[s.state];
    finished += s.finished;
    std::printf("  %-6lld %-12s %zu/%zu%s%s\n", static_cast<long long>(i), s.state.c_str(), s.finished, s.planned,
                s.failed ? (" (" + std::to_string(s.failed) + " failed)").c_str() : "",
                s.detail.empty() ? "" : ("  " + s.detail).c_str());
  }
  std::vector<std::string> parts;
  for (const auto& [state, n] : counts) parts.push_back(std::to_string(n) + " " + state);
  std::printf("%zu of %zu runs finished; shards: %s\n", finished, m.runs.size(), join(parts, ", ").c_str());
  if (fs::exists(m.merged_file())) std::printf("merged: %s\n", m.merged_file().c_str());
  return counts["done"] + counts["failed"] == m.shards ? 0 : 1;
}

int slurm_merge(const std::string& dir) {
  auto m = read_manifest(dir);
  auto queued = queued_shards(m);
  std::vector<std::string> inputs;
  std::vector<std::string> problems;
  for (int64_t i = 0; i < m.shards; ++i) {
    auto s = shard_state(m, i, queued);
    if (s.state != "missing" && s.state != "unreadable") inputs.push_back(m.shard_file(i));
    if (!s.done() || s.failed)
      problems.push_back("shard " + std::to_string(i) + ": " + s.state + ", " + std::to_string(s.finished) + " of " +
                         std::to_string(s.planned) + " runs" +
                         (s.failed ? " (" + std::to_string(s.failed) + " failed)" : "") +
                         (s.detail.empty() ? "" : ": " + s.detail));
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "bench-run: %s: no shard has a results file yet\n", m.dir.c_str());
    for (const auto& p : problems) std::fprintf(stderr, "  %s\n", p.c_str());
    std::fprintf(stderr, "rerun them with: bench-run --slurm-resubmit %s\n", m.dir.c_str());
    return 1;
  }
  try {
    auto first = read_results(inputs.front(), {/*trajectories=*/false});
    auto report = merge_results(m.merged_file(), inputs, suite_analysis_for(first));
    std::printf("bench-run: %s: %zu of %zu runs from %zu shard files\n", m.merged_file().c_str(), report.runs,
                m.runs.size(), inputs.size());
    if (problems.empty() && report.missing.empty()) return 0;
    for (const auto& p : problems) std::printf("  %s\n", p.c_str());
    std::printf("%zu runs missing; rerun the shards that lack them with: bench-run --slurm-resubmit %s\n",
                report.missing.size(), m.dir.c_str());
    return 1;
  } catch (const ResultsError& e) {
    std::fprintf(stderr, "bench-run: %s\n", e.what());
    return 2;
  }
}

int slurm_resubmit(const std::string& dir, const std::vector<std::string>& extra) {
  auto m = read_manifest(dir);
  auto queued = queued_shards(m);
  std::vector<int64_t> todo;
  for (int64_t i = 0; i < m.shards; ++i) {
    auto s = shard_state(m, i, queued);
    if (!s.done() && queued.count(i)) {  // pending, running, requeued...: Slurm still has it
      std::printf("  shard %lld is %s: left as it is\n", static_cast<long long>(i), s.state.c_str());
    } else if (!s.done()) {
      std::printf("  shard %lld: %s, %zu of %zu runs%s\n", static_cast<long long>(i), s.state.c_str(), s.finished,
                  s.planned, s.detail.empty() ? "" : ("  " + s.detail).c_str());
      if (s.state == "unreadable") {  // kept for a look, out of the shard's way: it starts anew
        auto file = m.shard_file(i), aside = file + ".unreadable-" + utc_stamp();
        std::error_code ec;
        fs::rename(file, aside, ec);
        if (!ec && fs::exists(loose_runs_dir(file))) fs::rename(loose_runs_dir(file), loose_runs_dir(aside), ec);
        if (ec) throw ConfigError("bench-run: cannot move " + file + " aside: " + ec.message());
        std::printf("    moved to %s\n", aside.c_str());
      }
      todo.push_back(i);
    }
  }
  if (todo.empty()) {
    std::printf("bench-run: %s: no shard to rerun\n", m.dir.c_str());
    return 0;
  }
  auto args = m.sbatch_args;
  args.insert(args.end(), extra.begin(), extra.end());
  auto submitted = submit_shards(m, todo, args);
  std::printf("bench-run: %s: %zu shards submitted again\n", m.dir.c_str(), todo.size());
  print_submitted(m, submitted);
  return 0;
}

}  // namespace genbench

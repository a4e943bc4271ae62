#include "harness/scheduler.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>

#include "harness/progress.h"
#include "harness/protocol.h"

extern char** environ;

namespace genbench {

namespace {

std::atomic<int> g_interrupts{0};
int g_wake[2] = {-1, -1};  // self-pipe: a signal wakes poll()

std::atomic<int> g_stop_signal{0};  // the first of SIGINT, SIGTERM, SIGHUP that arrived

extern "C" void on_interrupt(int sig) {
  int none = 0;
  g_stop_signal.compare_exchange_strong(none, sig);
  g_interrupts.fetch_add(1);
  if (g_wake[1] >= 0) {
    char c = 1;
    (void)!::write(g_wake[1], &c, 1);
  }
}

// A worker process and the runs it is doing, if any: one run, or the members
// of a stack. Workers are reused for job after job: starting one costs ~0.5 s
// of LibTorch loading.
struct Worker {
  pid_t pid = -1;
  int in_fd = -1, out_fd = -1, err_fd = -1;
  Decoder decoder;
  std::string err_tail;              // the last bytes of the worker's stderr
  std::vector<const RunSpec*> runs;  // the job in progress; empty when idle
  std::vector<RunRecord> records;    // one per run
  std::vector<char> ended;           // got that run's End message
  std::vector<char> reported;        // handed to the callbacks
  std::string protocol_error;
  std::chrono::steady_clock::time_point started;  // of the job in progress
  bool timed_out = false;            // killed for running past run_timeout_s
  std::string device;                // where its runs train, for its whole life
  bool busy() const { return !runs.empty(); }
  bool all_ended() const {
    for (char e : ended)
      if (!e) return false;
    return true;
  }
};

// The environment of a worker: ours, with every thread pool sized to `threads`.
std::vector<std::string> worker_env(int64_t threads) {
  std::vector<std::string> env;
  const char* pools[] = {"OMP_NUM_THREADS=", "OPENBLAS_NUM_THREADS=", "MKL_NUM_THREADS="};
  for (char** e = environ; *e; ++e) {
    bool replaced = false;
    for (const char* p : pools) replaced = replaced || strncmp(*e, p, strlen(p)) == 0;
    if (!replaced) env.emplace_back(*e);
  }
  for (const char* p : pools) env.push_back(p + std::to_string(threads));
  return env;
}

std::unique_ptr<Worker> spawn(const SchedulerOptions& options, const std::vector<std::string>& env) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error(std::string("cannot create pipes for a worker: ") + strerror(errno));
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(options.worker_exe.c_str()), const_cast<char*>("--worker"), nullptr};

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("cannot start a worker: ") + strerror(errno));
  if (pid == 0) {
    // A worker dies with its parent, even one killed with -9: no run goes on unrecorded.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before the line above
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the whole process group; the parent decides
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_IGN);  // the parent stops the worker itself, with SIGTERM
    signal(SIGPIPE, SIG_DFL);
    execve(argv[0], argv, envp.data());
    const char msg[] = "cannot execute the worker binary\n";
    (void)!::write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  auto w = std::make_unique<Worker>();
  w->pid = pid;
  w->in_fd = in[1];
  w->out_fd = out[0];
  w->err_fd = err[0];
  return w;
}

void assign(Worker& w, const std::vector<RunSpec>& job, const SchedulerOptions& options) {
  w.runs.clear();
  w.records.clear();
  for (const auto& run : job) {
    w.runs.push_back(&run);
    RunRecord r;
    r.id = run.id;
    r.index = run.index;
    r.task = run.task;
    r.seed = run.seed;
    r.point = run.point;
    r.params = run.params;
    r.log_every = run.log_every;
    r.device = w.device;
    w.records.push_back(std::move(r));
  }
  w.ended.assign(job.size(), 0);
  w.reported.assign(job.size(), 0);
  w.started = std::chrono::steady_clock::now();
  w.err_tail.clear();
  auto frame = encode_frame(encode_spec({job, w.device, options.threads}));
  // The worker is idle and its stdin pipe empty, so this small write does not
  // block; a dead worker shows as EPIPE here and as failed runs below.
  (void)!::write(w.in_fd, frame.data(), frame.size());
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

void consume(Worker& w) {
  Message m;
  try {
    while (w.decoder.next(m)) {
      if (!w.busy()) throw std::runtime_error("message while no run was assigned");
      if (m.member >= w.runs.size() || w.ended[m.member])
        throw std::runtime_error("message for run " + std::to_string(m.member) + " of a job of " +
                                 std::to_string(w.runs.size()) + (m.member < w.runs.size() ? ", which had ended" : ""));
      auto& record = w.records[m.member];
      switch (m.type) {
        case Message::Log: append_row(record, m.step, m.metrics); break;
        case Message::Summary: record.summaries[m.key] = m.value; break;
        case Message::End:
          w.ended[m.member] = 1;
          record.status = m.status;
          record.error = m.error;
          record.last_good_step = m.last_good_step;
          record.wall_time_s = m.value;
          if (!m.device.empty()) record.device = m.device;
          break;
      }
    }
  } catch (const std::exception& e) {
    w.protocol_error = e.what();
    kill(w.pid, SIGKILL);
  }
}

// Reads what is there; closes the fd at end of file.
void drain(Worker& w, int& fd) {
  char buf[1 << 16];
  auto n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    close_fd(fd);
    return;
  }
  if (&fd == &w.out_fd) {
    w.decoder.feed(buf, static_cast<size_t>(n));
    consume(w);
  } else {
    w.err_tail.append(buf, static_cast<size_t>(n));
    if (w.err_tail.size() > 4000) w.err_tail.erase(0, w.err_tail.size() - 4000);
  }
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return "worker killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "worker exited with code " + std::to_string(WEXITSTATUS(status)) + " without finishing the run";
}

}  // namespace

void install_interrupt_handlers() {
  if (g_wake[0] < 0 && pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) g_wake[0] = g_wake[1] = -1;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);  // a closed terminal or ssh session: stop as cleanly as for SIGTERM
  signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return g_interrupts.load() > 0; }

int interrupting_signal() { return g_stop_signal.load(); }

void append_row(RunRecord& run, int64_t step, const std::vector<std::pair<std::string, double>>& metrics) {
  run.steps.push_back(step);
  const size_t n = run.steps.size();
  for (const auto& [name, value] : metrics) {
    auto& column = run.metrics[name];
    column.resize(n - 1, std::nan(""));  // a metric first seen now: NaN before
    column.push_back(value);
  }
  for (auto& [name, column] : run.metrics) column.resize(n, std::nan(""));  // not logged in this row
}

std::vector<RunSpec> execution_order(std::vector<RunSpec> runs) {
  std::vector<std::string> points;  // in plan order
  std::map<std::string, size_t> rank;
  for (const auto& r : runs)
    if (rank.emplace(r.point, points.size()).second) points.push_back(r.point);
  size_t bits = 0;
  while ((size_t{1} << bits) < points.size()) ++bits;
  auto reversed = [&](size_t i) {  // i with its `bits` low bits reversed: 0, n/2, n/4, 3n/4, ...
    size_t out = 0;
    for (size_t b = 0; b < bits; ++b) out |= ((i >> b) & 1) << (bits - 1 - b);
    return out;
  };
  std::stable_sort(runs.begin(), runs.end(), [&](const RunSpec& a, const RunSpec& b) {
    return reversed(rank[a.point]) < reversed(rank[b.point]);
  });
  return runs;
}

std::string least_held(const std::vector<std::string>& devices, const std::vector<std::string>& held) {
  if (devices.empty()) throw std::logic_error("least_held: no devices");
  size_t best = 0, fewest = SIZE_MAX;
  for (size_t i = 0; i < devices.size(); ++i) {
    const auto count = static_cast<size_t>(std::count(held.begin(), held.end(), devices[i]));
    if (count < fewest) best = i, fewest = count;
  }
  return devices[best];
}

std::vector<std::vector<RunSpec>> plan_jobs(const std::vector<RunSpec>& ordered, const std::string& device,
                                            int64_t stack, int workers) {
  std::vector<std::vector<size_t>> groups;  // positions in `ordered`
  std::vector<char> grouped(ordered.size(), 0);
  if (stack < 0 || stack > 1) {
    std::map<std::string, std::vector<size_t>> by_task;
    for (size_t i = 0; i < ordered.size(); ++i) by_task[ordered[i].task].push_back(i);
    for (const auto& [name, positions] : by_task) {
      const Task* task = find_task(name);
      if (!task) continue;
      std::vector<StackCandidate> planned;
      for (size_t i : positions) planned.push_back({&ordered[i].params, ordered[i].seed});
      for (auto& group : task->stacks(planned, device, stack < 0 ? 0 : stack)) {
        std::vector<size_t> members;
        for (size_t j : group) {
          if (j >= positions.size() || grouped[positions[j]])
            throw std::logic_error(name + ": stacks() named run " + std::to_string(j) + " twice or out of range");
          grouped[positions[j]] = 1;
          members.push_back(positions[j]);
        }
        std::sort(members.begin(), members.end());
        if (!members.empty()) groups.push_back(std::move(members));
      }
    }
  }
  for (size_t i = 0; i < ordered.size(); ++i)
    if (!grouped[i]) groups.push_back({i});
  // Enough jobs for every worker: halve the largest stack, again and again.
  while (!groups.empty() && groups.size() < static_cast<size_t>(std::max(workers, 1))) {
    auto largest = std::max_element(groups.begin(), groups.end(),
                                    [](const auto& a, const auto& b) { return a.size() < b.size(); });
    if (largest->size() < 2) break;
    std::vector<size_t> second(largest->begin() + static_cast<std::ptrdiff_t>(largest->size() / 2), largest->end());
    largest->resize(largest->size() / 2);
    groups.push_back(std::move(second));
  }
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
  std::vector<std::vector<RunSpec>> jobs;
  for (const auto& group : groups) {
    jobs.emplace_back();
    for (size_t i : group) jobs.back().push_back(ordered[i]);
  }
  return jobs;
}

bool run_all(const std::vector<RunSpec>& runs, const SchedulerOptions& options, const SweepCallbacks& callbacks,
             Progress& progress) {
  std::vector<std::vector<RunSpec>> jobs;
  for (const auto& run : runs) jobs.push_back({run});
  return run_jobs(jobs, options, callbacks, progress);
}

bool run_jobs(const std::vector<std::vector<RunSpec>>& jobs, const SchedulerOptions& options,
              const SweepCallbacks& callbacks, Progress& progress) {
  const auto env = worker_env(options.threads);
  const auto devices = options.devices.empty() ? std::vector<std::string>{options.device} : options.devices;
  std::vector<std::unique_ptr<Worker>> workers;
  size_t next = 0;
  bool stopping = false, killed = false;
  std::chrono::steady_clock::time_point stop_time;
  std::exception_ptr aborted;
  auto last_checkpoint = std::chrono::steady_clock::now();
  bool news = false;  // rows arrived since the last checkpoint

  auto stop_all = [&](int sig) {
    for (auto& w : workers) kill(w->pid, sig);
  };
  auto begin_stop = [&] {
    stopping = true;
    stop_time = std::chrono::steady_clock::now();
    stop_all(SIGTERM);
  };
  auto guarded = [&](const std::function<void()>& callback) {
    if (aborted) return;
    try {
      callback();
    } catch (...) {
      aborted = std::current_exception();
      if (!stopping) begin_stop();
    }
  };
  // A run ended (End message, or its worker died): report it; the worker is
  // free when every run of its job is.
  auto finish = [&](Worker& w, size_t i) {
    auto& r = w.records[i];
    w.reported[i] = 1;
    if (r.status == RunStatus::Interrupted) {
      progress.interrupted(*w.runs[i]);
    } else {
      r.steps_per_s = r.wall_time_s > 0 && !r.steps.empty() ? r.steps.back() / r.wall_time_s : 0;
      progress.finished(r);
      guarded([&] { callbacks.finished(std::move(r)); });
    }
    bool all = true;
    for (char done : w.reported) all = all && done;
    if (all) w.runs.clear();
  };
  auto start = [&](Worker& w) {
    assign(w, jobs[next], options);
    for (const auto& run : jobs[next]) progress.started(run);
    ++next;
  };

  while (true) {
    if (interrupted() && !stopping) begin_stop();
    const auto now = std::chrono::steady_clock::now();
    auto seconds_since = [&](std::chrono::steady_clock::time_point t) {
      return std::chrono::duration<double>(now - t).count();
    };
    if (stopping && !killed && seconds_since(stop_time) >= options.stop_grace_s) {
      killed = true;
      stop_all(SIGKILL);
    }
    if (options.run_timeout_s > 0)
      for (auto& w : workers)
        if (w->busy() && !w->all_ended() && !w->timed_out && seconds_since(w->started) >= options.run_timeout_s) {
          w->timed_out = true;
          kill(w->pid, SIGKILL);
        }
    if (g_interrupts.load() >= 2 && !killed) {
      killed = true;
      stop_all(SIGKILL);
    }
    for (auto& w : workers)
      if (!w->busy() && w->in_fd >= 0 && !stopping && next < jobs.size()) start(*w);
    while (!stopping && static_cast<int>(workers.size()) < options.jobs && next < jobs.size()) {
      std::vector<std::string> held;
      for (const auto& w : workers) held.push_back(w->device);
      workers.push_back(spawn(options, env));
      workers.back()->device = least_held(devices, held);
      start(*workers.back());
    }
    for (auto& w : workers)  // nothing more to do: end of input lets an idle worker exit
      if (!w->busy() && (stopping || next == jobs.size())) close_fd(w->in_fd);
    if (workers.empty()) break;

    std::vector<pollfd> fds;
    if (g_wake[0] >= 0) fds.push_back({g_wake[0], POLLIN, 0});
    for (auto& w : workers) {
      if (w->out_fd >= 0) fds.push_back({w->out_fd, POLLIN, 0});
      if (w->err_fd >= 0) fds.push_back({w->err_fd, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), 250) < 0 && errno != EINTR)
      throw std::runtime_error(std::string("poll failed: ") + strerror(errno));
    if (g_wake[0] >= 0) {
      char buf[64];
      while (::read(g_wake[0], buf, sizeof buf) > 0) {
      }
    }
    for (const auto& p : fds) {
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR)) || p.fd == g_wake[0]) continue;
      for (auto& w : workers) {
        if (p.fd == w->out_fd) drain(*w, w->out_fd), news = true;
        else if (p.fd == w->err_fd) drain(*w, w->err_fd);
      }
    }

    for (auto& w : workers)
      for (size_t i = 0; i < w->runs.size(); ++i)
        if (!w->ended[i] && !w->records[i].steps.empty()) progress.stepped(*w->runs[i], w->records[i].steps.back());
    for (auto it = workers.begin(); it != workers.end();) {
      Worker& w = **it;
      if (w.protocol_error.empty())
        for (size_t i = 0; i < w.runs.size() && w.busy(); ++i)
          if (w.ended[i] && !w.reported[i]) finish(w, i);
      if (w.out_fd >= 0 || w.err_fd >= 0) {
        ++it;
        continue;
      }
      int status = 0;  // the worker is gone
      while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
      close_fd(w.in_fd);
      for (size_t i = 0; i < w.runs.size() && w.busy(); ++i) {  // it died in the middle of a job
        if (w.reported[i]) continue;
        auto& r = w.records[i];
        r.status = stopping ? RunStatus::Interrupted : RunStatus::Failed;
        r.last_good_step = r.steps.empty() ? -1 : r.steps.back();  // rows that arrived were checked
        char limit[32];
        std::snprintf(limit, sizeof limit, "%g", options.run_timeout_s);
        r.error = w.timed_out                 ? std::string("timed out: still running after ") + limit + " s (--run-timeout)"
                  : w.protocol_error.empty() ? describe_exit(status)
                                             : "bad output from worker: " + w.protocol_error;
        auto tail = w.err_tail;
        while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
        if (!tail.empty()) r.error += "; its last output: " + tail;
        finish(w, i);
      }
      it = workers.erase(it);
    }
    if (callbacks.checkpoint && news && !stopping &&
        std::chrono::duration<double>(now - last_checkpoint).count() >= callbacks.checkpoint_every_s) {
      std::vector<const RunRecord*> running;
      for (auto& w : workers)
        for (size_t i = 0; i < w->runs.size(); ++i)
          if (!w->reported[i]) running.push_back(&w->records[i]);
      guarded([&] { callbacks.checkpoint(running); });
      last_checkpoint = now;
      news = false;
    }
    progress.tick();
  }
  if (aborted) std::rethrow_exception(aborted);
  return !stopping;
}

}  // namespace genbench

// The wire format between bench-run and its worker processes.
//
// The parent writes a spec to the worker's stdin: one run, or the members of
// a stack (Task::run_stack); the worker answers on its stdout with framed
// binary messages, [type u8][member u32][size u32][payload], member being the
// run's position in the spec; each run's last message is its End. When every
// member has ended, the worker waits for the next spec.
// Doubles travel as their 8 bytes, so trajectories arrive bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/sweep.h"
#include "results/status.h"
#include "tasks/task.h"

namespace genbench {

struct Message {
  enum Type : uint8_t { Log = 'L', Summary = 'S', End = 'E' } type = End;
  uint32_t member = 0;  // which run of the spec
  int64_t step = 0;     // Log
  Metrics metrics;      // Log
  std::string key;      // Summary
  double value = 0;     // Summary; End: the task's wall time in seconds
  RunStatus status = RunStatus::Ok;  // End: Ok, Failed, Diverged or Interrupted
  std::string error;    // End
  int64_t last_good_step = -1;  // End
  std::string device;   // End: where the run ran, e.g. "cpu" or "cuda:0 (NVIDIA H200)"
};

class Encoder {
 public:
  explicit Encoder(uint32_t member = 0) : member_(member) {}
  void log(int64_t step, const Metrics& metrics);
  void summary(const std::string& key, double value);
  void end(RunStatus status, const std::string& error, int64_t last_good_step, double wall_s,
           const std::string& device);
  const std::string& bytes() const { return buf_; }
  void clear() { buf_.clear(); }

 private:
  void frame(Message::Type type, const std::string& payload);
  uint32_t member_;
  std::string buf_;
};

class Decoder {
 public:
  void feed(const char* data, size_t size) { buf_.append(data, size); }
  // Next complete message; false when more bytes are needed. Throws
  // std::runtime_error on a malformed stream.
  bool next(Message& out);
  bool empty() const { return pos_ == buf_.size(); }

 private:
  std::string buf_;
  size_t pos_ = 0;
};

// A spec as the worker reads it, and back: binary, every parameter with its
// type, so no value is re-parsed on the way. Several runs: one stack.
struct WorkerSpec {
  std::vector<RunSpec> runs;
  std::string device = "cpu";
  int64_t threads = 1;
};
std::string encode_spec(const WorkerSpec& spec);
WorkerSpec decode_spec(const std::string& bytes);  // throws ConfigError
// Specs travel on the worker's stdin as [size u32][bytes]; a worker runs one
// spec after another until its stdin ends.
std::string encode_frame(const std::string& text);

}  // namespace genbench

#include "harness/protocol.h"

#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <variant>


namespace genbench {

namespace {

void put(std::string& out, const void* data, size_t size) { out.append(static_cast<const char*>(data), size); }
void put_i64(std::string& out, int64_t v) { put(out, &v, sizeof v); }
void put_f64(std::string& out, double v) { put(out, &v, sizeof v); }
void put_str(std::string& out, const std::string& s) {
  auto n = static_cast<uint32_t>(s.size());
  put(out, &n, sizeof n);
  out += s;
}

struct Reader {
  const char* p;
  const char* end;
  void get(void* dst, size_t n) {
    if (static_cast<size_t>(end - p) < n) throw std::runtime_error("worker message truncated");
    std::memcpy(dst, p, n);
    p += n;
  }
  int64_t i64() { int64_t v; get(&v, sizeof v); return v; }
  double f64() { double v; get(&v, sizeof v); return v; }
  uint32_t u32() { uint32_t v; get(&v, sizeof v); return v; }
  std::string str() {
    auto n = u32();
    if (static_cast<size_t>(end - p) < n) throw std::runtime_error("worker message truncated");
    std::string s(p, n);
    p += n;
    return s;
  }
};

}  // namespace

void Encoder::frame(Message::Type type, const std::string& payload) {
  buf_.push_back(static_cast<char>(type));
  put(buf_, &member_, sizeof member_);
  auto n = static_cast<uint32_t>(payload.size());
  put(buf_, &n, sizeof n);
  buf_ += payload;
}

void Encoder::log(int64_t step, const Metrics& metrics) {
  std::string p;
  put_i64(p, step);
  put_i64(p, static_cast<int64_t>(metrics.size()));
  for (const auto& [name, value] : metrics) {
    put_str(p, name);
    put_f64(p, value);
  }
  frame(Message::Log, p);
}

void Encoder::summary(const std::string& key, double value) {
  std::string p;
  put_str(p, key);
  put_f64(p, value);
  frame(Message::Summary, p);
}

void Encoder::end(RunStatus status, const std::string& error, int64_t last_good_step, double wall_s,
                  const std::string& device) {
  std::string p;
  put_str(p, to_string(status));
  put_str(p, error);
  put_i64(p, last_good_step);
  put_f64(p, wall_s);
  put_str(p, device);
  frame(Message::End, p);
}

bool Decoder::next(Message& out) {
  constexpr size_t header = 1 + 2 * sizeof(uint32_t);
  if (buf_.size() - pos_ < header) return false;
  uint32_t member, size;
  std::memcpy(&member, buf_.data() + pos_ + 1, sizeof member);
  std::memcpy(&size, buf_.data() + pos_ + 1 + sizeof member, sizeof size);
  if (buf_.size() - pos_ < header + size) return false;
  auto type = static_cast<uint8_t>(buf_[pos_]);
  Reader r{buf_.data() + pos_ + header, buf_.data() + pos_ + header + size};
  out = Message{};
  out.member = member;
  switch (type) {
    case Message::Log: {
      out.type = Message::Log;
      out.step = r.i64();
      auto n = r.i64();
      for (int64_t i = 0; i < n; ++i) {
        auto name = r.str();
        out.metrics.emplace_back(std::move(name), r.f64());
      }
      break;
    }
    case Message::Summary:
      out.type = Message::Summary;
      out.key = r.str();
      out.value = r.f64();
      break;
    case Message::End:
      out.type = Message::End;
      if (auto status = parse_run_status(r.str()))
        out.status = *status;
      else
        throw std::runtime_error("worker ended a run with an unknown status");
      out.error = r.str();
      out.last_good_step = r.i64();
      out.value = r.f64();
      out.device = r.str();
      break;
    default:
      throw std::runtime_error("worker sent an unknown message type " + std::to_string(type));
  }
  pos_ += header + size;
  if (pos_ > (1u << 20) && pos_ * 2 > buf_.size()) {  // drop consumed bytes now and then
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return true;
}

std::string encode_frame(const std::string& text) {
  std::string out;
  auto n = static_cast<uint32_t>(text.size());
  put(out, &n, sizeof n);
  return out + text;
}

// A spec is binary, like the messages: each parameter travels with its type
// tag and its value as stored (8 bytes for a number, the bytes of a string),
// so the worker runs exactly the Params the parent expanded, with nothing
// re-parsed ("[x]", "~" and "" stay strings; 2^63-1 stays an int).
namespace {

void put_run(std::string& out, const RunSpec& run) {
  put_str(out, run.task);
  put_str(out, run.id);
  put_i64(out, static_cast<int64_t>(run.seed));
  put_i64(out, run.log_every);
  put_i64(out, static_cast<int64_t>(run.params.values().size()));
  for (const auto& [name, value] : run.params.values()) {
    put_str(out, name);
    out.push_back(static_cast<char>(value.index()));  // ParamValue's index order is ParamType's
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, int64_t>) put_i64(out, v);
          else if constexpr (std::is_same_v<T, double>) put_f64(out, v);
          else if constexpr (std::is_same_v<T, bool>) out.push_back(v ? 1 : 0);
          else if constexpr (std::is_same_v<T, std::string>) put_str(out, v);
          else {
            put_i64(out, static_cast<int64_t>(v.size()));
            for (double x : v) put_f64(out, x);
          }
        },
        value);
  }
}

RunSpec get_run(Reader& r, size_t total) {
  RunSpec run;
  run.task = r.str();
  run.id = r.str();
  run.seed = static_cast<uint64_t>(r.i64());
  run.log_every = r.i64();
  const Task* task = find_task(run.task);
  if (!task) throw ConfigError("worker: unknown task '" + run.task + "'");
  auto specs = task->params();
  run.params = default_params(specs);
  auto count = r.i64();
  for (int64_t i = 0; i < count; ++i) {
    auto name = r.str();
    const auto* ps = find_spec(specs, name);
    if (!ps) throw ConfigError("worker: unknown parameter '" + name + "' of task '" + run.task + "'");
    uint8_t tag = 0;
    r.get(&tag, 1);
    if (tag != static_cast<uint8_t>(ps->type))
      throw ConfigError("worker: parameter '" + name + "': expected " + type_name(ps->type) + ", found type tag " +
                        std::to_string(tag));
    ParamValue value;
    switch (ps->type) {
      case ParamType::Int: value = r.i64(); break;
      case ParamType::Float: value = r.f64(); break;
      case ParamType::Bool: {
        uint8_t b = 0;
        r.get(&b, 1);
        value = b != 0;
        break;
      }
      case ParamType::String: value = r.str(); break;
      case ParamType::FloatList: {
        auto n = r.i64();
        if (n < 0 || static_cast<size_t>(n) > total / sizeof(double))
          throw std::runtime_error("worker message truncated");
        std::vector<double> list(static_cast<size_t>(n));
        for (auto& x : list) x = r.f64();
        value = std::move(list);
        break;
      }
    }
    run.params.set(name, std::move(value));
  }
  return run;
}

}  // namespace

std::string encode_spec(const WorkerSpec& spec) {
  std::string out;
  put_str(out, spec.device);
  put_i64(out, spec.threads);
  put_i64(out, static_cast<int64_t>(spec.runs.size()));
  for (const auto& run : spec.runs) put_run(out, run);
  return out;
}

WorkerSpec decode_spec(const std::string& bytes) {
  WorkerSpec spec;
  Reader r{bytes.data(), bytes.data() + bytes.size()};
  try {
    spec.device = r.str();
    spec.threads = r.i64();
    auto count = r.i64();
    if (count < 1 || static_cast<size_t>(count) > bytes.size()) throw std::runtime_error("bad run count " + std::to_string(count));
    for (int64_t i = 0; i < count; ++i) spec.runs.push_back(get_run(r, bytes.size()));
    if (r.p != r.end) throw std::runtime_error(std::to_string(r.end - r.p) + " bytes left over");
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const ConfigError*>(&e)) throw;
    throw ConfigError(std::string("worker: malformed run spec: ") + e.what());
  }
  return spec;
}

}  // namespace genbench

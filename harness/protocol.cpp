#include "harness/protocol.h"

#include <yaml-cpp/yaml.h>

#include <cstring>
#include <stdexcept>


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

void Encoder::end(const std::string& status, const std::string& error, int64_t last_good_step, double wall_s,
                  const std::string& device) {
  std::string p;
  put_str(p, status);
  put_str(p, error);
  put_i64(p, last_good_step);
  put_f64(p, wall_s);
  put_str(p, device);
  frame(Message::End, p);
}

bool Decoder::next(Message& out) {
  constexpr size_t header = 1 + sizeof(uint32_t);
  if (buf_.size() - pos_ < header) return false;
  uint32_t size;
  std::memcpy(&size, buf_.data() + pos_ + 1, sizeof size);
  if (buf_.size() - pos_ < header + size) return false;
  auto type = static_cast<uint8_t>(buf_[pos_]);
  Reader r{buf_.data() + pos_ + header, buf_.data() + pos_ + header + size};
  out = Message{};
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
      out.status = r.str();
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

std::string encode_spec(const WorkerSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "task" << YAML::Value << spec.run.task;
  out << YAML::Key << "id" << YAML::Value << spec.run.id;
  out << YAML::Key << "seed" << YAML::Value << spec.run.seed;
  out << YAML::Key << "log_every" << YAML::Value << spec.run.log_every;
  out << YAML::Key << "device" << YAML::Value << spec.device;
  out << YAML::Key << "threads" << YAML::Value << spec.threads;
  out << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, value] : spec.run.params.values())
    out << YAML::Key << name << YAML::Value << format_value(value);  // canonical text, re-parsed by type
  out << YAML::EndMap << YAML::EndMap;
  return out.c_str();
}

WorkerSpec decode_spec(const std::string& text) {
  WorkerSpec spec;
  try {
    auto root = YAML::Load(text);
    spec.run.task = root["task"].as<std::string>();
    spec.run.id = root["id"].as<std::string>();
    spec.run.seed = root["seed"].as<uint64_t>();
    spec.run.log_every = root["log_every"].as<int64_t>();
    spec.device = root["device"].as<std::string>();
    spec.threads = root["threads"].as<int64_t>();
    const Task* task = find_task(spec.run.task);
    if (!task) throw ConfigError("worker: unknown task '" + spec.run.task + "'");
    auto specs = task->params();
    spec.run.params = default_params(specs);
    for (const auto& kv : root["params"]) {
      const auto* ps = find_spec(specs, kv.first.Scalar());
      if (!ps) throw ConfigError("worker: unknown parameter '" + kv.first.Scalar() + "'");
      spec.run.params.set(ps->name, parse_value_text(kv.second.Scalar(), *ps, "worker"));
    }
  } catch (const YAML::Exception& e) {
    throw ConfigError(std::string("worker: malformed run spec: ") + e.what());
  }
  return spec;
}

}  // namespace genbench

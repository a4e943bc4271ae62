#include "harness/provenance.h"

#include <H5Cpp.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>

namespace genbench {

namespace {

std::string format_time(const char* fmt) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

// First line of a command's output; "" when it fails.
std::string run_line(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((cmd + " 2>/dev/null").c_str(), "r"), pclose);
  if (!pipe) return "";
  std::array<char, 256> buf{};
  std::string out;
  if (fgets(buf.data(), buf.size(), pipe.get())) out = buf.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

std::string utc_now() { return format_time("%Y-%m-%dT%H:%M:%SZ"); }
std::string utc_stamp() { return format_time("%Y%m%dT%H%M%SZ"); }

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string git_commit() {
  auto c = run_line("git -C '" GENBENCH_SOURCE_DIR "' rev-parse HEAD");
  return c.empty() ? "unknown" : c;
}

bool git_dirty() {
  return !run_line("git -C '" GENBENCH_SOURCE_DIR "' status --porcelain --untracked-files=no").empty();
}

AttrMap collect_provenance() {
  unsigned h5_major = 0, h5_minor = 0, h5_release = 0;
  H5get_libversion(&h5_major, &h5_minor, &h5_release);
  return {
      {"genbench_version", std::string(GENBENCH_VERSION)},
      {"git_commit", git_commit()},
      {"git_dirty", git_dirty()},
      {"host", host_name()},
      {"cpu_model", cpu_model()},
      {"hdf5_version", std::to_string(h5_major) + "." + std::to_string(h5_minor) + "." + std::to_string(h5_release)},
      {"yaml_cpp_version", std::string(GENBENCH_YAML_CPP_VERSION)},
      {"start_time", utc_now()},
  };
}

}  // namespace genbench

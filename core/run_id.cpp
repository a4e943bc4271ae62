#include "core/run_id.h"

#include <cstdio>

namespace genbench {

std::string canonical_config(const std::string& task, const Params& params, int64_t log_every, uint64_t seed) {
  std::string out = "task=" + task;
  for (const auto& [name, value] : params.values()) out += ";" + name + "=" + format_value(value);
  return out + ";log_every=" + std::to_string(log_every) + ";seed=" + std::to_string(seed);
}

std::string run_id(const std::string& canonical) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bit
  for (unsigned char c : canonical) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;  // murmur3's finaliser: FNV alone leaves ids that differ in one digit
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace genbench

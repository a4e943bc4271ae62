// A run's identity: the canonical text of what it computes, and its hash.
// The same task, parameters, log_every and seed give the same id on every
// machine and in every version that keeps this text; the store, resume,
// shards and bench-compare match runs by it.
#pragma once

#include <cstdint>
#include <string>

#include "core/params.h"

namespace genbench {

// "task=T;a=1;b=0.5;...;log_every=10;seed=0", parameters sorted by name.
std::string canonical_config(const std::string& task, const Params& params, int64_t log_every, uint64_t seed);
// 16 hex digits of FNV-1a (with murmur3's finaliser) over the canonical text.
std::string run_id(const std::string& canonical);

}  // namespace genbench

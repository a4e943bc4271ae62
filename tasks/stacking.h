// Helpers for Task::stacks: which runs of a sweep may share a stack.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/params.h"
#include "tasks/task.h"

namespace genbench {

// Whether the members of one stack may have different seeds (each draws its
// own data) or must share one (they share a draw, e.g. a measurement operator).
enum class StackSeeds { MayDiffer, Shared };

// The runs whose parameters are equal but for `free` (the keys a member may
// differ in: a stacked model carries them per member), in groups of at most
// `max_size`, in the order given; only the runs `keep` accepts (all, when
// none is given). Groups of one are left out (they run alone).
inline std::vector<std::vector<size_t>> stacks_of_equal_params(
    const std::vector<StackCandidate>& runs, const std::set<std::string>& free, int64_t max_size,
    const std::function<bool(const Params&)>& keep = {}, StackSeeds seeds = StackSeeds::MayDiffer) {
  std::map<std::string, std::vector<size_t>> by_rest;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (keep && !keep(*runs[i].params)) continue;
    std::string key = seeds == StackSeeds::Shared ? "seed=" + std::to_string(runs[i].seed) + ";" : "";
    for (const auto& [name, value] : runs[i].params->values())
      if (!free.count(name)) key += name + "=" + format_value(value) + ";";
    by_rest[key].push_back(i);
  }
  std::vector<std::vector<size_t>> out;
  for (auto& [key, members] : by_rest) {
    const size_t cap = max_size > 0 ? static_cast<size_t>(max_size) : members.size();
    for (size_t start = 0; start < members.size(); start += cap) {
      std::vector<size_t> group(members.begin() + static_cast<std::ptrdiff_t>(start),
                                members.begin() + static_cast<std::ptrdiff_t>(std::min(members.size(), start + cap)));
      if (group.size() > 1) out.push_back(std::move(group));
    }
  }
  return out;
}

}  // namespace genbench

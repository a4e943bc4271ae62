#include <algorithm>
#include <map>

#include "tasks/task.h"

namespace genbench {

// Function-local so registration from other translation units' static
// initialisers never sees an unconstructed map.
static std::map<std::string, std::unique_ptr<Task>>& registry() {
  static std::map<std::string, std::unique_ptr<Task>> tasks;
  return tasks;
}

bool register_task(std::unique_ptr<Task> task) {
  auto name = task->name();
  return registry().emplace(name, std::move(task)).second;
}

const Task* find_task(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second.get();
}

std::vector<const Task*> all_tasks() {
  std::vector<const Task*> out;
  for (const auto& [name, task] : registry()) out.push_back(task.get());
  return out;
}

}  // namespace genbench

#include "core/registry.h"

#include "tasks/task.h"

namespace genbench {

// Function-local so registration from other translation units' static
// initialisers never sees an unconstructed registry.
static Registry<Task>& tasks() {
  static Registry<Task> registry("task");
  return registry;
}

bool register_task(std::unique_ptr<Task> task) {
  tasks().add(std::move(task));
  return true;
}

const Task* find_task(const std::string& name) { return tasks().find(name); }
std::vector<const Task*> all_tasks() { return tasks().all(); }
std::vector<std::string> task_names() { return tasks().names(); }

}  // namespace genbench

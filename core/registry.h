// One registry for everything registered by name at start-up (tasks,
// detectors): a second entry of the same name is a programming error, found
// when the program starts rather than by silently running the first one.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace genbench {

template <typename T>
class Registry {
 public:
  // `kind` names the entries in messages ("task", "detector").
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  // Throws std::logic_error for a name taken already. Called from a static
  // initialiser, that ends the program at start-up with the message.
  void add(std::unique_ptr<T> entry) {
    auto name = entry->name();
    if (!entries_.emplace(name, std::move(entry)).second)
      throw std::logic_error("genbench: two " + kind_ + "s are registered as '" + name + "'");
  }
  const T* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : it->second.get();
  }
  std::vector<const T*> all() const {  // sorted by name
    std::vector<const T*> out;
    for (const auto& [name, entry] : entries_) out.push_back(entry.get());
    return out;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
  }

 private:
  std::string kind_;
  std::map<std::string, std::unique_ptr<T>> entries_;
};

}  // namespace genbench

#include "suites/detector.h"

#include <cmath>

#include "core/registry.h"

namespace genbench {

static Registry<Detector>& detectors() {
  static Registry<Detector> registry("detector");
  return registry;
}

bool register_detector(std::unique_ptr<Detector> detector) {
  detectors().add(std::move(detector));
  return true;
}

const Detector* find_detector(const std::string& name) { return detectors().find(name); }
std::vector<const Detector*> all_detectors() { return detectors().all(); }

const Detector* detector_for(const ResultsFile& file) {
  auto name = file.root_string("detector");
  return find_detector(name.empty() ? file.root_string("suite") : name);
}

std::function<std::map<std::string, double>(const ResultsFile&)> suite_summaries_for(const ResultsFile& file) {
  const Detector* detector = detector_for(file);
  if (!detector) return {};
  return [detector](const ResultsFile& joined) { return detector->analyse_suite(joined); };
}

bool is_treatment(const std::string& key, const std::vector<std::string>& treatment) {
  for (const auto& t : treatment) {
    if (!t.empty() && t.back() == '*' ? key.compare(0, t.size() - 1, t, 0, t.size() - 1) == 0 : key == t) return true;
  }
  return false;
}

bool are_twins(const RunRecord& a, const RunRecord& b, const std::vector<std::string>& treatment) {
  if (a.seed != b.seed || a.task != b.task) return false;
  for (const auto& [key, value] : a.params.values()) {
    if (is_treatment(key, treatment)) continue;
    if (!b.params.has(key) || b.params.get(key) != value) return false;
  }
  return true;
}

}  // namespace genbench

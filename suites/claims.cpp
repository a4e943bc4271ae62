#include "suites/claims.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fnmatch.h>
#include <set>

#include "core/stats.h"
#include "core/text.h"

namespace genbench {

namespace {

const std::vector<std::string> kClaimKeys = {"name",       "source",      "point",        "summary",   "metric",
                                             "at_step",    "reduce",      "where",        "seeds",       "at_least",     "at_most",   "greater_than",
                                             "less_than",  "between",     "equals",       "tolerance"};
const std::vector<std::pair<std::string, Claim::Bound>> kBounds = {
    {"at_least", Claim::Bound::AtLeast},         {"at_most", Claim::Bound::AtMost},
    {"greater_than", Claim::Bound::GreaterThan}, {"less_than", Claim::Bound::LessThan},
    {"between", Claim::Bound::Between},          {"equals", Claim::Bound::Equals}};
const std::vector<std::string> kRefKeys = {"point", "summary", "times", "plus"};

std::string number_text(double v) {
  char buf[32];
  if (std::isnan(v)) return "absent";
  if (v == std::floor(v) && std::fabs(v) < 1e9) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string mark_text(const std::string& file, const YAML::Mark& m) {
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// "at least 9 of 10" into (9, 10); false when it is not that form.
bool parse_fraction(const std::string& text, int64_t& k, int64_t& n) {
  long long a = 0, b = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "at least %lld of %lld%c", &a, &b, &tail) != 2) return false;
  k = a, n = b;
  return true;
}

bool holds(Claim::Bound bound, double x, double lo, double hi) {
  if (std::isnan(x) || std::isnan(lo)) return false;
  switch (bound) {
    case Claim::Bound::AtLeast: return x >= lo;
    case Claim::Bound::AtMost: return x <= lo;
    case Claim::Bound::GreaterThan: return x > lo;
    case Claim::Bound::LessThan: return x < lo;
    case Claim::Bound::Between: return lo <= x && x <= hi;
    case Claim::Bound::Equals: return std::fabs(x - lo) <= hi;
  }
  return false;
}

// Ordering values from worst to best for a bound: a lower bound's worst is
// the smallest, an upper bound's the largest, a two-sided one's the farthest
// from the middle. An absent value (NaN) is worse than any.
double badness(Claim::Bound bound, double x, double lo, double hi) {
  if (std::isnan(x)) return INFINITY;
  switch (bound) {
    case Claim::Bound::AtLeast:
    case Claim::Bound::GreaterThan: return -x;
    case Claim::Bound::AtMost:
    case Claim::Bound::LessThan: return x;
    case Claim::Bound::Between: return std::fabs(x - (lo + hi) / 2);
    case Claim::Bound::Equals: return std::fabs(x - lo);
  }
  return 0;
}

// A comparison "times x the other value" is shown as the ratio to it; one
// with `plus` (or neither) as the difference, which a zero or negative value keeps meaningful.
bool ratio_ref(const ClaimRef& ref) { return ref.times != 1 && ref.plus == 0; }

// What an absent value counts as in a median: the worst end for the bound.
double worst_value(Claim::Bound bound) {
  return bound == Claim::Bound::AtLeast || bound == Claim::Bound::GreaterThan ? -INFINITY : INFINITY;
}

std::vector<const RunRecord*> finished_of(const ResultsFile& file, const std::string& point, uint64_t seed) {
  std::vector<const RunRecord*> out;
  for (const auto& r : file.runs)
    if (r.seed == seed && point_matches(r.point, point)) out.push_back(&r);
  return out;
}

// A run's value for a claim: a summary, or a metric at a logged step or
// reduced over its logged values; NaN when absent.
double value_of(const RunRecord& run, const std::string& summary, const std::string& metric, int64_t at_step,
                const std::string& reduce) {
  if (metric.empty()) return run.summary_or(summary, NAN);
  const auto* values = run.metric(metric);
  if (!values || values->empty()) return NAN;
  if (reduce.empty()) {
    for (size_t i = 0; i < run.steps.size(); ++i)
      if (run.steps[i] == at_step) return (*values)[i];
    return NAN;
  }
  std::vector<double> logged;  // NaN marks a step where it was not logged
  for (double x : *values)
    if (!std::isnan(x)) logged.push_back(x);
  if (logged.empty()) return NAN;
  if (reduce == "first") return logged.front();
  if (reduce == "last") return logged.back();
  if (reduce == "min") return *std::min_element(logged.begin(), logged.end());
  if (reduce == "max") return *std::max_element(logged.begin(), logged.end());
  return mean_of(logged);
}

double value_of(const RunRecord& run, const Claim& c) { return value_of(run, c.summary, c.metric, c.at_step, c.reduce); }

const std::vector<std::string> kReductions = {"first", "last", "min", "max", "mean"};
const std::vector<std::string> kOps = {"!=", "<=", ">=", "<", ">", "="};

// Every summary name the runs of a file hold, for "did you mean".
std::vector<std::string> summary_names(const ResultsFile& file, bool per_run) {
  std::set<std::string> names;
  if (per_run) {
    for (const auto& r : file.runs)
      for (const auto& [k, v] : r.summaries) names.insert(k);
  } else {
    for (const auto& [k, v] : file.summaries) names.insert(k);
  }
  return {names.begin(), names.end()};
}

std::string absent_hint(const std::string& name, const std::vector<std::string>& names, const char* what) {
  if (std::find(names.begin(), names.end(), name) != names.end()) return "";
  auto near = nearest_name(name, names);
  return std::string(" (no ") + what + " is named '" + name + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?") + ")";
}

// A suite summary absent from a sweep run with --filter: the filter may have
// left out the runs it is computed from, as it leaves out a point. Not judged.
void skip_filtered(Verdict& v, const ResultsFile& file) {
  v.outcome = "skip";
  v.measured += "; the sweep ran with --filter " + join(split_lines(file.root_string("filters")), " --filter ");
}

Verdict judge_suite_claim(const Claim& c, const ResultsFile& file) {
  Verdict v{c.name, "fail", "", c.bound_text(), c.source, NAN};
  auto names = summary_names(file, false);
  double lo = c.lo;
  std::string against;
  if (c.ref) {
    auto key = c.ref->summary.empty() ? c.summary : c.ref->summary;
    double other = file.summaries.count(key) ? file.summaries.at(key) : NAN;
    lo = other * c.ref->times + c.ref->plus;
    against = " against " + key + " " + number_text(other) + (std::isnan(other) ? absent_hint(key, names, "suite summary") : "");
  }
  if (!c.summaries.empty()) {  // every suite summary the names and patterns name
    std::vector<double> values;
    std::vector<std::string> missing;
    size_t passed = 0;
    double worst = NAN;
    auto take = [&](double x) {
      values.push_back(x);
      passed += holds(c.bound, x, lo, c.hi);
      if (values.size() == 1 || badness(c.bound, x, lo, c.hi) > badness(c.bound, worst, lo, c.hi)) worst = x;
    };
    for (const auto& name : c.summaries) {
      size_t matched = 0;
      for (const auto& [key, x] : file.summaries)
        if (name.find('*') != std::string::npos ? fnmatch(name.c_str(), key.c_str(), 0) == 0 : key == name) take(x), ++matched;
      if (!matched) missing.push_back(name), take(NAN);
    }
    std::vector<double> finite;
    for (double x : values)
      if (!std::isnan(x)) finite.push_back(x);
    v.measured = std::to_string(passed) + " of " + std::to_string(values.size()) + " summaries";
    if (!finite.empty()) {
      auto [lo_it, hi_it] = std::minmax_element(finite.begin(), finite.end());
      v.measured += ": " + number_text(*lo_it) + (*lo_it == *hi_it ? "" : ".." + number_text(*hi_it));
    }
    if (!missing.empty()) v.measured += " (none named " + join(missing, ", ") + absent_hint(missing.front(), names, "suite summary") + ")";
    v.measured += against;
    v.value = worst;
    v.outcome = passed == values.size() ? "pass" : "fail";
    if (!missing.empty() && !file.root_string("filters").empty()) skip_filtered(v, file);
    return v;
  }
  double x = file.summaries.count(c.summary) ? file.summaries.at(c.summary) : NAN;
  v.measured = number_text(x) + (std::isnan(x) ? absent_hint(c.summary, names, "suite summary") : "") + against;
  v.value = x;
  v.outcome = holds(c.bound, x, lo, c.hi) ? "pass" : "fail";
  if (std::isnan(x) && !file.root_string("filters").empty()) skip_filtered(v, file);
  return v;
}

Verdict judge_run_claim(const Claim& c, const ResultsFile& file) {
  Verdict v{c.name, "fail", "", c.bound_text() + ", " + c.over_text(), c.source, NAN};
  std::vector<const PlannedRun*> planned;
  for (const auto& p : file.plan)
    if (c.point.empty() || point_matches(p.point, c.point)) planned.push_back(&p);
  if (planned.empty()) {
    v.outcome = "skip";
    v.measured = "the file plans no run of point '" + c.point + "'";
    return v;
  }
  struct Seed {
    double value = NAN;  // the claim's value, or with a reference the ratio to it
    bool pass = false;
  };
  std::vector<Seed> seeds;
  std::set<uint64_t> seed_numbers;
  size_t absent = 0;
  for (const auto* p : planned) {
    Seed s;
    const RunRecord* run = file.find(p->id);
    if (!c.where.empty() && !(run && std::all_of(c.where.begin(), c.where.end(), [&](const ParamCondition& w) { return w.holds(run->params); })))
      continue;  // not one of the runs it is about (a run that never finished has no config to tell)
    double x = run ? value_of(*run, c) : NAN;
    double lo = c.lo;
    if (c.ref && !std::isnan(x)) {
      auto ref_point = c.ref->point.empty() ? c.point : c.ref->point;
      auto others = finished_of(file, ref_point, p->seed);
      if (others.size() > 1) {
        v.outcome = "error";
        v.measured = "point '" + ref_point + "' has " + std::to_string(others.size()) + " runs of seed " +
                     std::to_string(p->seed) + ": name one (its label, e.g. '" + others.front()->point + "')";
        return v;
      }
      double other = others.empty() ? NAN
                                    : c.ref->summary.empty() ? value_of(*others.front(), c)
                                                             : others.front()->summary_or(c.ref->summary, NAN);
      lo = other * c.ref->times + c.ref->plus;
      s.pass = holds(c.bound, x, lo, c.hi);
      // shown and ordered as the ratio to the reference (times), else the difference from it
      x = ratio_ref(*c.ref) ? x / other : x - other;
    } else {
      s.pass = holds(c.bound, x, lo, c.hi);
    }
    absent += std::isnan(x);
    seed_numbers.insert(p->seed);
    s.value = x;
    seeds.push_back(s);
  }
  if (seeds.empty()) {
    v.outcome = "error";
    v.measured = "no finished run of " + (c.point.empty() ? std::string("the file") : "point '" + c.point + "'") + " satisfies where:";
    return v;
  }
  const double target = !c.ref ? c.lo : ratio_ref(*c.ref) ? c.ref->times : c.ref->plus;
  auto worst_first = [&](const Seed& a, const Seed& b) { return badness(c.bound, a.value, target, c.hi) > badness(c.bound, b.value, target, c.hi); };
  std::sort(seeds.begin(), seeds.end(), worst_first);
  const size_t n = seeds.size();
  const std::string unit = seed_numbers.size() == n ? " seeds" : " runs";  // a point of one run per seed, or more
  size_t passed = 0;
  std::vector<double> finite;
  for (const auto& s : seeds) {
    passed += s.pass;
    if (!std::isnan(s.value)) finite.push_back(s.value);
  }
  std::string range;
  if (!finite.empty()) {
    auto [lo_it, hi_it] = std::minmax_element(finite.begin(), finite.end());
    range = *lo_it == *hi_it ? number_text(*lo_it) : number_text(*lo_it) + ".." + number_text(*hi_it);
    if (c.ref) range = (ratio_ref(*c.ref) ? "ratio " : "difference ") + range;
  }
  const std::string absent_text =
      absent ? " (" + std::to_string(absent) + " absent" +
                   (c.metric.empty() ? absent_hint(c.summary, summary_names(file, true), "run summary")
                    : c.reduce.empty() ? "; is '" + c.metric + "' logged at step " + std::to_string(c.at_step) + "?"
                                       : "; is '" + c.metric + "' a metric of these runs?") +
                   ")"
             : "";
  bool ok = false;
  switch (c.over) {
    case Claim::Over::All:
      ok = passed == n;
      v.value = seeds.front().value;
      break;
    case Claim::Over::Any:
      ok = passed > 0;
      v.value = seeds.back().value;
      break;
    case Claim::Over::Fraction: {
      // at least k of n' seeds, scaled to the seeds this file has
      auto need = static_cast<size_t>(std::ceil(static_cast<double>(c.at_least) * static_cast<double>(n) / static_cast<double>(c.of) - 1e-9));
      ok = passed >= need;
      v.value = seeds[n - std::max<size_t>(need, 1)].value;
      break;
    }
    case Claim::Over::Median:
    case Claim::Over::Mean: {
      std::vector<double> values;
      for (const auto& s : seeds) values.push_back(std::isnan(s.value) ? worst_value(c.bound) : s.value);
      const bool med = c.over == Claim::Over::Median;
      v.value = med ? median(values) : mean_of(values);
      ok = holds(c.bound, v.value, c.lo, c.hi);
      v.outcome = ok ? "pass" : "fail";
      v.measured = (med ? "median " : "mean ") + number_text(v.value) + " of " + std::to_string(n) + unit + (range.empty() ? "" : " (" + range + ")") + absent_text;
      return v;
    }
  }
  v.outcome = ok ? "pass" : "fail";
  v.measured = std::to_string(passed) + " of " + std::to_string(n) + unit + (range.empty() ? "" : ": " + range) + absent_text;
  return v;
}

}  // namespace

std::string Claim::bound_text() const {
  std::string op;
  switch (bound) {
    case Bound::AtLeast: op = ">= "; break;
    case Bound::AtMost: op = "<= "; break;
    case Bound::GreaterThan: op = "> "; break;
    case Bound::LessThan: op = "< "; break;
    case Bound::Between: return "in [" + number_text(lo) + ", " + number_text(hi) + "]";
    case Bound::Equals: return "== " + number_text(lo) + (hi > 0 ? " +- " + number_text(hi) : "");
  }
  if (!ref) return op + number_text(lo);
  std::string what = ref->point.empty() ? "" : ref->point;
  auto key = ref->summary.empty() ? "" : ref->summary;
  if (!key.empty()) what += what.empty() ? key : " " + key;
  if (what.empty()) what = summary;
  return op + (ref->times == 1 ? "" : number_text(ref->times) + " x ") + what +
         (ref->plus == 0 ? "" : (ref->plus > 0 ? " + " : " - ") + number_text(std::fabs(ref->plus))) + (per_run ? " (same seed)" : "");
}

std::string Claim::subject_text() const {
  std::string what = !summaries.empty() ? join(summaries, ", ")
                     : metric.empty()   ? summary
                     : reduce.empty()   ? metric + " at step " + std::to_string(at_step)
                                        : reduce + " of " + metric;
  std::vector<std::string> conditions;
  for (const auto& w : where) conditions.push_back(w.key + (w.op == "=" ? "=" : " " + w.op + " ") + w.text);
  if (!conditions.empty()) what += " where " + join(conditions, ", ");
  return point.empty() ? what : point + ": " + what;
}

std::string Claim::over_text() const {
  switch (over) {
    case Over::All: return "every run";
    case Over::Median: return "the median run";
    case Over::Mean: return "the mean over runs";
    case Over::Any: return "some run";
    case Over::Fraction: return "at least " + std::to_string(at_least) + " of " + std::to_string(of) + " runs";
  }
  return "";
}

bool ParamCondition::holds(const Params& params) const {
  if (!params.has(key)) return false;
  const auto& value = params.get(key);
  double x = NAN;
  if (const auto* i = std::get_if<int64_t>(&value)) x = static_cast<double>(*i);
  else if (const auto* d = std::get_if<double>(&value)) x = *d;
  if (op == "=" || op == "!=") {
    bool same = std::isnan(x) ? format_value(value) == text : x == number;
    return (op == "=") == same;
  }
  if (std::isnan(x)) return false;
  if (op == "<") return x < number;
  if (op == "<=") return x <= number;
  if (op == ">") return x > number;
  return x >= number;
}

bool point_matches(const std::string& label, const std::string& point) {
  return label == point || (label.size() > point.size() && label.compare(0, point.size(), point) == 0 && label[point.size()] == ' ');
}

std::vector<Claim> parse_claims(const YAML::Node& node, const YamlReader& reader, const std::string& path) {
  if (!node.IsSequence()) reader.fail(node.Mark(), path, "expected a list of claims, found " + YamlReader::describe(node));
  std::vector<Claim> out;
  std::set<std::string> names;
  for (size_t i = 0; i < node.size(); ++i) {
    const auto& item = node[i];
    const auto at = path + "[" + std::to_string(i) + "]";
    if (!item.IsMap()) reader.fail(item.Mark(), at, "expected a map (name, summary, a bound...), found " + YamlReader::describe(item));
    Claim c;
    c.mark = item.Mark();
    c.location = mark_text(reader.file, c.mark);
    std::vector<std::string> bounds_given;
    for (const auto& kv : item) {
      auto key = kv.first.Scalar();
      if (std::find(kClaimKeys.begin(), kClaimKeys.end(), key) == kClaimKeys.end())
        reader.unknown_key(kv.first, at + ".", kClaimKeys, "claim key");
      for (const auto& [name, bound] : kBounds)
        if (key == name) bounds_given.push_back(key), c.bound = bound;
    }
    if (!item["name"]) reader.fail(item.Mark(), at + ".name", "missing: every claim needs a name");
    c.name = reader.scalar(item["name"], at + ".name");
    if (!names.insert(c.name).second) reader.fail(item["name"].Mark(), at + ".name", "claim '" + c.name + "' is named twice");
    if (auto n = item["source"]) c.source = reader.scalar(n, at + ".source");
    if (auto n = item["point"]) c.point = reader.scalar(n, at + ".point"), c.point_mark = n.Mark();
    if (item["summary"] && item["metric"]) reader.fail(item["metric"].Mark(), at + ".metric", "give a summary or a metric, not both");
    if (auto n = item["summary"]) {
      c.summary_mark = n.Mark();
      if (n.IsSequence()) {
        for (const auto& entry : n) c.summaries.push_back(reader.scalar(entry, at + ".summary"));
        if (c.summaries.empty()) reader.fail(n.Mark(), at + ".summary", "empty list: name at least one summary");
        c.summary = c.summaries.front();
      } else {
        c.summary = reader.scalar(n, at + ".summary");
        if (c.summary.find('*') != std::string::npos) c.summaries = {c.summary};
      }
    }
    if (auto n = item["metric"]) {
      c.metric = reader.scalar(n, at + ".metric");
      if (!item["at_step"] && !item["reduce"])
        reader.fail(n.Mark(), at + ".at_step", "missing: a metric is judged at a logged step (at_step: N) or reduced (reduce: max)");
    }
    if (auto n = item["at_step"]) {
      if (c.metric.empty()) reader.fail(n.Mark(), at + ".at_step", "at_step goes with a metric (metric: NAME)");
      c.at_step = reader.integer(n, at + ".at_step", 0);
    }
    if (auto n = item["reduce"]) {
      if (c.metric.empty()) reader.fail(n.Mark(), at + ".reduce", "reduce goes with a metric (metric: NAME)");
      if (item["at_step"]) reader.fail(n.Mark(), at + ".reduce", "give at_step or reduce, not both");
      c.reduce = reader.scalar(n, at + ".reduce");
      if (std::find(kReductions.begin(), kReductions.end(), c.reduce) == kReductions.end())
        reader.fail(n.Mark(), at + ".reduce", "expected " + join(kReductions, ", ") + ", found '" + c.reduce + "'" + did_you_mean(c.reduce, kReductions));
    }
    if (auto n = item["where"]) {
      if (!n.IsMap()) reader.fail(n.Mark(), at + ".where", "expected a map of parameter: condition, found " + YamlReader::describe(n));
      for (const auto& kv : n) {
        ParamCondition w;
        w.key = kv.first.Scalar();
        auto text = reader.scalar(kv.second, at + ".where." + w.key);
        w.op = "=";
        for (const auto& op : kOps)
          if (text.compare(0, op.size(), op) == 0) {
            w.op = op;
            text = text.substr(op.size());
            break;
          }
        while (!text.empty() && text.front() == ' ') text.erase(0, 1);
        w.text = text;
        char* end = nullptr;
        w.number = std::strtod(text.c_str(), &end);
        const bool numeric = !text.empty() && end && *end == 0;
        if (!numeric) w.number = NAN;
        if (w.op != "=" && w.op != "!=" && !numeric)
          reader.fail(kv.second.Mark(), at + ".where." + w.key, "'" + w.op + "' needs a number, found '" + text + "'");
        c.where.push_back(w);
      }
    }
    if (c.summary.empty() && c.metric.empty()) reader.fail(item.Mark(), at + ".summary", "missing: a claim is about a summary (or a metric at a step)");
    if (bounds_given.size() != 1)
      reader.fail(item.Mark(), at, bounds_given.empty() ? "missing a bound: at_least, at_most, greater_than, less_than, between or equals"
                                                         : "one bound per claim, found " + join(bounds_given, " and ") + " (between: [lo, hi] is two-sided)");
    const auto bound_key = bounds_given.front();
    const auto& b = item[bound_key];
    const auto bound_at = at + "." + bound_key;
    if (auto n = item["seeds"]) {
      auto text = reader.scalar(n, at + ".seeds");
      if (text == "all") c.over = Claim::Over::All;
      else if (text == "median") c.over = Claim::Over::Median;
      else if (text == "mean") c.over = Claim::Over::Mean;
      else if (text == "any") c.over = Claim::Over::Any;
      else if (parse_fraction(text, c.at_least, c.of)) {
        if (c.of < 1 || c.at_least < 1 || c.at_least > c.of)
          reader.fail(n.Mark(), at + ".seeds", "'" + text + "': expected 1 <= K <= N in \"at least K of N\"");
        c.over = Claim::Over::Fraction;
      } else {
        reader.fail(n.Mark(), at + ".seeds", "expected all, median, mean, any or \"at least K of N\", found '" + text + "'");
      }
    }
    c.per_run = !c.point.empty() || !c.metric.empty() || item["seeds"] || item["where"];
    if (c.per_run && !c.summaries.empty())
      reader.fail(item["summary"].Mark(), at + ".summary", "a list or a pattern of summaries is for suite summaries; a claim per run names one");
    if (c.bound == Claim::Bound::Between) {
      if (!b.IsSequence() || b.size() != 2) reader.fail(b.Mark(), bound_at, "expected [lo, hi], found " + YamlReader::describe(b));
      c.lo = reader.number(b[0], bound_at, -INFINITY), c.hi = reader.number(b[1], bound_at, -INFINITY);
      if (c.lo > c.hi) reader.fail(b.Mark(), bound_at, "expected lo <= hi, found [" + number_text(c.lo) + ", " + number_text(c.hi) + "]");
    } else if (b.IsMap()) {
      if (c.bound == Claim::Bound::Equals) reader.fail(b.Mark(), bound_at, "equals takes a number (compare two values with at_least / at_most)");
      ClaimRef ref;
      for (const auto& kv : b)
        if (std::find(kRefKeys.begin(), kRefKeys.end(), kv.first.Scalar()) == kRefKeys.end())
          reader.unknown_key(kv.first, bound_at + ".", kRefKeys, "key of a compared value");
      if (auto n = b["point"]) {
        if (!c.per_run) reader.fail(n.Mark(), bound_at + ".point", "a suite summary is compared with another suite summary (no point)");
        ref.point = reader.scalar(n, bound_at + ".point"), c.ref_point_mark = n.Mark();
      }
      if (auto n = b["summary"]) ref.summary = reader.scalar(n, bound_at + ".summary"), c.ref_summary_mark = n.Mark();
      if (auto n = b["times"]) ref.times = reader.number(n, bound_at + ".times", 0);
      if (auto n = b["plus"]) ref.plus = reader.number(n, bound_at + ".plus", -INFINITY);
      if (ref.plus != 0 && ref.times != 1 && c.per_run)
        reader.fail(b.Mark(), bound_at, "times and plus together: compare a run with one or the other");
      if (ref.point.empty() && ref.summary.empty())
        reader.fail(b.Mark(), bound_at, "compare with what? give a point or a summary (and times)");
      if (c.over == Claim::Over::Median || c.over == Claim::Over::Mean)
        reader.fail(item["seeds"].Mark(), at + ".seeds", "median and mean go with a number bound; a comparison is per seed (all, any, at least K of N)");
      c.ref = ref;
    } else {
      c.lo = reader.number(b, bound_at, -INFINITY);
    }
    if (auto n = item["tolerance"]) {
      if (c.bound != Claim::Bound::Equals) reader.fail(n.Mark(), at + ".tolerance", "tolerance goes with equals");
      c.hi = reader.number(n, at + ".tolerance", 0);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Verdict> judge_claims(const std::vector<Claim>& claims, const ResultsFile& file) {
  std::vector<Verdict> out;
  for (const auto& c : claims) out.push_back(c.per_run ? judge_run_claim(c, file) : judge_suite_claim(c, file));
  return out;
}

std::string verdict_table(const std::vector<Verdict>& verdicts) {
  if (verdicts.empty()) return "";
  size_t hold = 0, fail = 0, other = 0;
  size_t name_w = 5, measured_w = 8;
  for (const auto& v : verdicts) {
    hold += v.outcome == "pass", fail += v.outcome == "fail";
    other += v.outcome != "pass" && v.outcome != "fail";
    name_w = std::max(name_w, std::min<size_t>(v.claim.size(), 64));
    measured_w = std::max(measured_w, std::min<size_t>(v.measured.size(), 48));
  }
  std::string out = "claims: " + std::to_string(hold) + " of " + std::to_string(verdicts.size()) + " hold";
  if (fail) out += ", " + std::to_string(fail) + " fail" + (fail == 1 ? "s" : "");
  if (other) out += ", " + std::to_string(other) + " not judged";
  out += "\n";
  char line[1024];
  for (const auto& v : verdicts) {
    const char* mark = v.outcome == "pass" ? "\u2713" : v.outcome == "fail" ? "\u2717" : v.outcome == "skip" ? "-" : "!";
    std::snprintf(line, sizeof line, "  %s %-*s  %-*s  %s\n", mark, static_cast<int>(name_w), v.claim.c_str(),
                  static_cast<int>(measured_w), v.measured.c_str(), v.bound.c_str());
    out += line;
  }
  return out;
}

int verdict_exit_code(const std::vector<Verdict>& verdicts) {
  int code = 0;
  for (const auto& v : verdicts) {
    if (v.outcome == "error") return 2;
    if (v.outcome == "fail") code = 1;
  }
  return code;
}

}  // namespace genbench

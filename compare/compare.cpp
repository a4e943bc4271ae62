#include "compare/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "results/trajectory.h"
#include "core/stats.h"

namespace genbench {

namespace {

constexpr size_t kSeedsForDistribution = 3;

std::string num(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

double transform(double x, const Tolerance& t) {
  if (!t.log) return x;
  double a = std::fabs(x);
  if (t.floor > 0) a = std::max(a, t.floor);
  return std::log10(a);
}

std::string tolerance_text(const Tolerance& t) {
  std::string out;
  if (t.abs > 0) out += "abs " + num(t.abs);
  if (t.rel > 0) out += std::string(out.empty() ? "" : " + ") + "rel " + num(t.rel);
  if (out.empty()) out = "exact";
  if (t.log) out += t.floor > 0 ? " (log10, floor " + num(t.floor) + ")" : " (log10)";
  return out;
}

// Whether b is within tolerance of a; `excess` is how far beyond (<= 0 when within).
bool within(double a, double b, const Tolerance& t, double& diff) {
  diff = 0;
  if (std::isnan(a) && std::isnan(b)) return true;
  double ta = transform(a, t), tb = transform(b, t);
  if (ta == tb) return true;  // also -inf == -inf, and bit-identical values
  diff = std::fabs(ta - tb);
  return diff <= t.abs + t.rel * std::fabs(ta);  // NaN against a number is never within
}

std::optional<double> quantity(const RunRecord& run, const std::string& key) {
  if (key.rfind("last.", 0) == 0) return final_value(run, key.substr(5));
  auto it = run.summaries.find(key);
  if (it == run.summaries.end()) return std::nullopt;
  return it->second;
}


// A curve: values at steps, for one run or the median over seeds.
using Curve = std::map<int64_t, double>;

Curve curve_of(const RunRecord& run, const std::string& metric) {
  Curve c;
  if (const auto* values = run.metric(metric))
    for (size_t i = 0; i < run.steps.size(); ++i) c[run.steps[i]] = (*values)[i];
  return c;
}

Curve median_curve(const std::vector<const RunRecord*>& runs, const std::string& metric) {
  std::vector<Curve> curves;
  for (const auto* r : runs) curves.push_back(curve_of(*r, metric));
  Curve out;
  for (const auto& [step, v0] : curves.front()) {
    std::vector<double> values;
    for (const auto& c : curves)
      if (auto it = c.find(step); it != c.end()) values.push_back(it->second);
    if (values.size() == curves.size()) out[step] = median(values);
  }
  return out;
}

struct Group {
  std::string point;
  std::vector<const RunRecord*> base, cand;  // matched pairs, in plan order
};

void compare_curve(const Curve& a, const Curve& b, const std::string& subject, const std::string& metric,
                   const Tolerance& t, CompareResult& out) {
  struct Point {
    int64_t step;
    double a, b, diff;
    bool ok;
  };
  std::vector<Point> common;
  for (const auto& [step, va] : a)
    if (auto it = b.find(step); it != b.end()) {
      Point p{step, va, it->second, 0, true};
      p.ok = within(va, it->second, t, p.diff);
      if (std::isnan(p.diff)) p.diff = INFINITY;
      common.push_back(p);
    }
  Comparison c{subject, "curve " + metric, NAN, NAN, "", true};
  if (common.empty()) {
    if (a.empty() && b.empty()) return;
    c.passed = false;
    c.detail = "no common steps";
    out.comparisons.push_back(c);
    return;
  }
  // The worst step: the largest failure if any, else the largest difference.
  auto worst = std::max_element(common.begin(), common.end(), [](const Point& x, const Point& y) {
    return x.ok != y.ok ? x.ok : x.diff < y.diff;
  });
  c.baseline = worst->a;
  c.candidate = worst->b;
  c.passed = worst->ok;
  c.detail = std::string(c.passed ? "largest difference " : "") + num(worst->diff) + " at step " +
             std::to_string(worst->step) + (c.passed ? " within " : " > ") + tolerance_text(t) + " over " +
             std::to_string(common.size()) + " steps";
  out.comparisons.push_back(c);
}

void compare_value(std::optional<double> a, std::optional<double> b, const std::string& subject, const std::string& key,
                   const Tolerance& t, CompareResult& out) {
  if (!a && !b) return;
  Comparison c{subject, key, a ? *a : NAN, b ? *b : NAN, "", true};
  if (!a || !b) {
    c.passed = false;
    c.detail = a ? "in the baseline only" : "in the candidate only";
  } else {
    double diff;
    c.passed = within(*a, *b, t, diff);
    c.detail = c.passed ? "within " + tolerance_text(t) : num(diff) + " > " + tolerance_text(t);
  }
  out.comparisons.push_back(c);
}

std::set<std::string> quantity_keys(const std::vector<const RunRecord*>& runs) {
  std::set<std::string> keys;
  for (const auto* r : runs) {
    for (const auto& [k, v] : r->summaries) keys.insert(k);
    for (const auto& [m, v] : r->metrics) keys.insert("last." + m);
  }
  return keys;
}

void compare_group(const Group& g, const Tolerances& tol, CompareResult& out) {
  auto all = g.base;
  all.insert(all.end(), g.cand.begin(), g.cand.end());
  auto keys = quantity_keys(all);
  if (g.base.size() >= kSeedsForDistribution) {
    auto subject = g.point + " (" + std::to_string(g.base.size()) + " seeds, median)";
    for (const auto& key : keys) {
      std::vector<double> a, b;
      for (const auto* r : g.base)
        if (auto v = quantity(*r, key)) a.push_back(*v);
      for (const auto* r : g.cand)
        if (auto v = quantity(*r, key)) b.push_back(*v);
      if (a.size() != b.size()) {
        out.comparisons.push_back({subject, key, a.empty() ? NAN : median(a), b.empty() ? NAN : median(b),
                                   "present in " + std::to_string(a.size()) + " baseline runs, " +
                                       std::to_string(b.size()) + " candidate runs",
                                   false});
        continue;
      }
      if (a.empty()) continue;
      compare_value(median(a), median(b), subject, key, tol.for_summary(key), out);
    }
    for (const auto& [metric, t] : tol.curves)
      compare_curve(median_curve(g.base, metric), median_curve(g.cand, metric), subject, metric, t, out);
    return;
  }
  for (size_t i = 0; i < g.base.size(); ++i) {
    const auto &a = *g.base[i], &b = *g.cand[i];
    auto subject = g.point + " seed " + std::to_string(a.seed);
    for (const auto& key : keys) compare_value(quantity(a, key), quantity(b, key), subject, key, tol.for_summary(key), out);
    for (const auto& [metric, t] : tol.curves)
      compare_curve(curve_of(a, metric), curve_of(b, metric), subject, metric, t, out);
  }
}

std::string describe_run(const RunRecord& r) {
  return r.id + " (" + (r.point.empty() ? "defaults" : r.point) + ", seed " + std::to_string(r.seed) + ")";
}

}  // namespace

CompareResult compare_by_point(const ResultsFile& a, const ResultsFile& b, const Tolerances& tolerances, double alpha) {
  CompareResult out;
  if (a.root_string("suite") != b.root_string("suite"))
    out.problems.push_back("A is suite '" + a.root_string("suite") + "', B suite '" + b.root_string("suite") + "'");
  std::vector<std::string> order;  // points in A's plan order
  std::map<std::string, std::pair<std::vector<const RunRecord*>, std::vector<const RunRecord*>>> by_point;
  for (const auto& r : a.runs) {
    if (!by_point.count(r.point)) order.push_back(r.point);
    by_point[r.point].first.push_back(&r);
  }
  for (const auto& r : b.runs)
    if (by_point.count(r.point)) by_point[r.point].second.push_back(&r);
  for (const auto& point : order) {
    auto& [ra, rb] = by_point[point];
    if (rb.empty()) continue;
    ++out.points;
    std::set<uint64_t> seeds_b;
    for (const auto* r : rb) seeds_b.insert(r->seed);
    for (const auto* r : ra) out.matched_runs += seeds_b.count(r->seed);
    std::set<std::string> keys;
    for (const auto* r : ra)
      for (const auto& [k, v] : r->summaries) keys.insert(k);
    for (const auto& key : keys) {
      std::vector<double> va, vb;
      for (const auto* r : ra)
        if (auto v = quantity(*r, key); v && std::isfinite(*v)) va.push_back(*v);
      for (const auto* r : rb)
        if (auto v = quantity(*r, key); v && std::isfinite(*v)) vb.push_back(*v);
      if (va.empty() && vb.empty()) continue;
      const auto subject = (point.empty() ? std::string("(defaults)") : point) + " (" + std::to_string(va.size()) + " vs " +
                           std::to_string(vb.size()) + " seeds)";
      if (va.empty() || vb.empty()) {
        out.comparisons.push_back({subject, key, va.empty() ? NAN : median(va), vb.empty() ? NAN : median(vb),
                                   va.empty() ? "in B only" : "in A only", true});
        continue;
      }
      double ma = median(va), mb = median(vb), diff = 0;
      const bool close = within(ma, mb, tolerances.for_summary(key), diff);
      const double p = mann_whitney_p(va, vb);
      char detail[160];
      snprintf(detail, sizeof detail, "%+.4g (%+.1f%%), p = %.3g%s", mb - ma, ma != 0 ? 100 * (mb - ma) / std::fabs(ma) : 0.0,
               p, close ? "" : p < alpha ? " < alpha: differs" : ", beyond tolerance but not significant");
      out.comparisons.push_back({subject, key, ma, mb, detail, close || !(p < alpha)});
    }
  }
  if (out.points == 0) out.problems.push_back("no point of A is in B (another sweep?)");
  out.verdict = !out.problems.empty() ? CompareResult::Incomparable
                : out.failures()     ? CompareResult::Regression
                                     : CompareResult::Same;
  return out;
}

size_t CompareResult::failures() const {
  size_t n = 0;
  for (const auto& c : comparisons) n += !c.passed;
  return n;
}

CompareResult compare_results(const ResultsFile& baseline, const ResultsFile& candidate, const Tolerances& tolerances) {
  CompareResult out;
  auto suite_a = baseline.root_string("suite"), suite_b = candidate.root_string("suite");
  if (suite_a != suite_b)
    out.problems.push_back("the baseline is suite '" + suite_a + "', the candidate suite '" + suite_b + "'");

  std::vector<std::string> missing;
  std::map<std::string, Group> groups;
  std::vector<std::string> order;
  for (const auto& a : baseline.runs) {
    const auto* b = candidate.find(a.id);
    if (!b) {
      missing.push_back(describe_run(a));
      continue;
    }
    ++out.matched_runs;
    if (b->status == RunStatus::Failed && a.status != RunStatus::Failed) {
      out.problems.push_back("run " + describe_run(*b) + " failed in the candidate: " + b->error);
      continue;
    }
    if (a.status != b->status) {
      out.comparisons.push_back({a.point + " seed " + std::to_string(a.seed), "status", NAN, NAN,
                                 to_string(a.status) + " -> " + to_string(b->status) + (b->error.empty() ? "" : ": " + b->error), false});
      continue;
    }
    if (!groups.count(a.point)) order.push_back(a.point);
    auto& g = groups[a.point];
    g.point = a.point.empty() ? "(defaults)" : a.point;
    g.base.push_back(&a);
    g.cand.push_back(b);
  }
  if (out.matched_runs == 0) out.problems.push_back("no run of the baseline is in the candidate (another sweep or config?)");
  else if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 5) list += ", ...";
    out.problems.push_back(std::to_string(missing.size()) + " baseline run(s) missing from the candidate: " + list);
  }
  if (!out.problems.empty()) {
    out.verdict = CompareResult::Incomparable;
    return out;
  }
  for (const auto& point : order) compare_group(groups[point], tolerances, out);
  // A claim the baseline's runs satisfied and the candidate's do not is a
  // regression whatever the tolerances say (a claim new to the candidate, or
  // one the baseline already failed, is not compared).
  for (const auto& b : candidate.verdicts)
    for (const auto& a : baseline.verdicts)
      if (a.claim == b.claim && a.outcome == "pass")
        out.comparisons.push_back({"claim", b.claim, a.value, b.value, "pass -> " + b.outcome + ": " + b.measured + " (" + b.bound + ")",
                                   b.outcome == "pass"});
  out.points = order.size();
  out.verdict = out.failures() ? CompareResult::Regression : CompareResult::Same;
  return out;
}

std::string format_comparison(const CompareResult& result, bool verbose, const std::string& a_name,
                              const std::string& b_name) {
  std::string out;
  if (result.verdict == CompareResult::Incomparable) {
    out += "cannot compare:\n";
    for (const auto& p : result.problems) out += "  " + p + "\n";
    return out + "result: INCOMPARABLE (exit 2)\n";
  }
  std::vector<const Comparison*> shown;
  for (const auto& c : result.comparisons)
    if (verbose || !c.passed) shown.push_back(&c);
  size_t subject_w = 7, quantity_w = 8;
  for (const auto* c : shown) {
    subject_w = std::max(subject_w, c->subject.size());
    quantity_w = std::max(quantity_w, c->quantity.size());
  }
  char line[1024];
  snprintf(line, sizeof line, "%zu runs matched in %zu points; %zu quantities compared, %zu beyond tolerance\n",
           result.matched_runs, result.points, result.comparisons.size(), result.failures());
  out += line;
  if (!shown.empty()) {
    snprintf(line, sizeof line, "  %-4s %-*s  %-*s  %12s  %12s  %s\n", "", static_cast<int>(subject_w), "subject",
             static_cast<int>(quantity_w), "quantity", a_name.c_str(), b_name.c_str(), "detail");
    out += line;
    for (const auto* c : shown) {
      snprintf(line, sizeof line, "  %-4s %-*s  %-*s  %12s  %12s  %s\n", c->passed ? "ok" : "FAIL",
               static_cast<int>(subject_w), c->subject.c_str(), static_cast<int>(quantity_w), c->quantity.c_str(),
               num(c->baseline).c_str(), num(c->candidate).c_str(), c->detail.c_str());
      out += line;
    }
  }
  out += result.verdict == CompareResult::Regression ? "result: REGRESSION (exit 1)\n" : "result: same within tolerance\n";
  return out;
}

}  // namespace genbench

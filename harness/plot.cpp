#include "harness/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace genbench {

namespace {

const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

struct Axis {
  bool log = false;
  double lo = 0, hi = 1;  // in transformed units (log10 when log)
  double pixel_lo = 0, pixel_hi = 1;

  bool usable(double v) const { return std::isfinite(v) && (!log || v > 0); }
  double t(double v) const { return log ? std::log10(v) : v; }
  double px(double v) const { return pixel_lo + (t(v) - lo) / (hi - lo) * (pixel_hi - pixel_lo); }
};

std::string fmt(const char* f, double v) {
  char buf[64];
  snprintf(buf, sizeof buf, f, v);
  return buf;
}

void fit(Axis& axis, const std::vector<double>& values) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values)
    if (axis.usable(v)) lo = std::min(lo, axis.t(v)), hi = std::max(hi, axis.t(v));
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(lo))) {
    double pad = axis.log ? 0.5 : std::max(std::fabs(lo) * 0.1, 1.0);
    lo -= pad, hi += pad;
  }
  if (axis.log) lo = std::floor(lo), hi = std::ceil(hi);
  axis.lo = lo, axis.hi = hi;
}

// Tick positions in data units.
std::vector<double> ticks(const Axis& axis) {
  std::vector<double> out;
  if (axis.log) {
    int span = static_cast<int>(axis.hi - axis.lo);
    int step = std::max(1, (span + 7) / 8);
    for (int e = static_cast<int>(axis.lo); e <= static_cast<int>(axis.hi); e += step) out.push_back(std::pow(10.0, e));
    return out;
  }
  double raw = (axis.hi - axis.lo) / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
  for (double v = std::ceil(axis.lo / step) * step; v <= axis.hi + step * 1e-9; v += step)
    out.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  return out;
}

std::string tick_label(const Axis& axis, double v) {
  if (axis.log) return "1e" + fmt("%.0f", std::log10(v));
  return fmt("%g", v);
}

// Runs of consecutive usable points, so NaN or non-positive values (on a
// log axis) break a line rather than drop to the floor.
template <typename F>
void for_each_segment(const Series& s, const Axis& x, const Axis& y, bool band, F&& f) {
  std::vector<size_t> seg;
  auto ok = [&](size_t i) {
    return x.usable(s.x[i]) && y.usable(s.y[i]) && (!band || (y.usable(s.low[i]) && y.usable(s.high[i])));
  };
  for (size_t i = 0; i <= s.x.size(); ++i) {
    if (i < s.x.size() && ok(i)) {
      seg.push_back(i);
      continue;
    }
    if (!seg.empty()) f(seg);
    seg.clear();
  }
}

}  // namespace

std::string escape_xml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

bool spans_decades(const std::vector<double>& values) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v <= 0) return false;
    lo = std::min(lo, v), hi = std::max(hi, v);
  }
  return std::isfinite(lo) && hi / lo > 100;
}

std::string render_svg(const Plot& plot, int width, int height) {
  const double left = 72, right = 200, top = 36, bottom = 48;
  Axis x{plot.log_x}, y{plot.log_y};
  std::vector<double> xs, ys;
  for (const auto& s : plot.series) {
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    ys.insert(ys.end(), s.y.begin(), s.y.end());
    ys.insert(ys.end(), s.low.begin(), s.low.end());
    ys.insert(ys.end(), s.high.begin(), s.high.end());
  }
  fit(x, xs);
  fit(y, ys);
  x.pixel_lo = left, x.pixel_hi = width - right;
  y.pixel_lo = height - bottom, y.pixel_hi = top;

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" data-plot=\"" + escape_xml(plot.id) +
                    "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
                    std::to_string(width) + " " + std::to_string(height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + fmt("%.0f", (left + width - right) / 2) + "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">" +
         escape_xml(plot.title) + "</text>\n";
  // grid and ticks
  std::vector<double> x_ticks = ticks(x);
  if (!plot.x_labels.empty()) {  // one tick per label; every k-th labelled when they would crowd
    x_ticks.clear();
    for (size_t i = 1; i <= plot.x_labels.size(); ++i) x_ticks.push_back(static_cast<double>(i));
  }
  const size_t label_every = std::max<size_t>(1, plot.x_labels.size() / 12 + 1);
  for (double v : x_ticks) {
    auto px = fmt("%.1f", x.px(v));
    auto i = static_cast<size_t>(v) - 1;
    auto text = plot.x_labels.empty() ? tick_label(x, v) : i % label_every == 0 ? escape_xml(plot.x_labels[i]) : "";
    svg += "<line x1=\"" + px + "\" x2=\"" + px + "\" y1=\"" + fmt("%.1f", top) + "\" y2=\"" + fmt("%.1f", height - bottom) +
           "\" stroke=\"#e6e6e6\"/>\n<text x=\"" + px + "\" y=\"" + fmt("%.1f", height - bottom + 16) +
           "\" text-anchor=\"middle\"" + (plot.x_labels.empty() ? "" : " class=\"x-label\"") + ">" + text + "</text>\n";
  }
  for (double v : ticks(y)) {
    auto py = fmt("%.1f", y.px(v));
    svg += "<line x1=\"" + fmt("%.1f", left) + "\" x2=\"" + fmt("%.1f", width - right) + "\" y1=\"" + py + "\" y2=\"" + py +
           "\" stroke=\"#e6e6e6\"/>\n<text x=\"" + fmt("%.1f", left - 6) + "\" y=\"" + py +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\">" + tick_label(y, v) + "</text>\n";
  }
  svg += "<rect x=\"" + fmt("%.1f", left) + "\" y=\"" + fmt("%.1f", top) + "\" width=\"" + fmt("%.1f", width - left - right) +
         "\" height=\"" + fmt("%.1f", height - top - bottom) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  svg += "<text x=\"" + fmt("%.1f", (left + width - right) / 2) + "\" y=\"" + fmt("%d", height - 10) +
         "\" text-anchor=\"middle\">" + escape_xml(plot.x_label) + (plot.log_x ? " (log)" : "") + "</text>\n";
  svg += "<text transform=\"translate(16," + fmt("%.1f", (top + height - bottom) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + escape_xml(plot.y_label) + (plot.log_y ? " (log)" : "") +
         "</text>\n";

  for (size_t i = 0; i < plot.series.size(); ++i) {
    const auto& s = plot.series[i];
    const char* color = kColors[static_cast<size_t>(s.color >= 0 ? s.color : static_cast<int>(i)) % 10];
    svg += "<g class=\"series\" data-label=\"" + escape_xml(s.label) + "\">\n";
    bool band = !s.low.empty() && s.low.size() == s.x.size() && s.high.size() == s.x.size();
    if (band)
      for_each_segment(s, x, y, true, [&](const std::vector<size_t>& seg) {
        std::string pts;
        for (size_t k : seg) pts += fmt("%.1f", x.px(s.x[k])) + "," + fmt("%.1f", y.px(s.high[k])) + " ";
        for (auto it = seg.rbegin(); it != seg.rend(); ++it)
          pts += fmt("%.1f", x.px(s.x[*it])) + "," + fmt("%.1f", y.px(s.low[*it])) + " ";
        svg += "<polygon class=\"band\" points=\"" + pts + "\" fill=\"" + color + "\" fill-opacity=\"0.18\" stroke=\"none\"/>\n";
      });
    for_each_segment(s, x, y, false, [&](const std::vector<size_t>& seg) {
      std::string pts;
      for (size_t k : seg) pts += fmt("%.1f", x.px(s.x[k])) + "," + fmt("%.1f", y.px(s.y[k])) + " ";
      svg += "<polyline class=\"line\" points=\"" + pts + "\" fill=\"none\" stroke=\"" + color +
             "\" stroke-width=\"1.6\"" + (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
    });
    double ly = top + 8 + 18.0 * static_cast<double>(i);
    auto label = s.label.size() > 26 ? s.label.substr(0, 25) + "…" : s.label;
    svg += "<line x1=\"" + fmt("%.1f", width - right + 12) + "\" x2=\"" + fmt("%.1f", width - right + 32) + "\" y1=\"" +
           fmt("%.1f", ly) + "\" y2=\"" + fmt("%.1f", ly) + "\" stroke=\"" + color + "\" stroke-width=\"3\"" +
           (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
    svg += "<text x=\"" + fmt("%.1f", width - right + 38) + "\" y=\"" + fmt("%.1f", ly) +
           "\" dominant-baseline=\"middle\">" + escape_xml(label) + "</text>\n</g>\n";
  }
  return svg + "</svg>\n";
}

}  // namespace genbench

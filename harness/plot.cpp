#include "harness/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace genbench {

namespace {

const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string fmt(const char* f, double v) {
  char buf[64];
  snprintf(buf, sizeof buf, f, v);
  return buf;
}

struct Axis {
  bool log = false;
  bool zero = false;  // a log axis that shows 0, at zero_t, left of (or below) its first decade
  double zero_t = 0, break_t = 0;  // where 0 sits, and the break between it and the decades
  double lo = 0, hi = 1;  // in transformed units (log10 when log)
  double pixel_lo = 0, pixel_hi = 1;

  bool usable(double v) const { return std::isfinite(v) && (!log || v > 0 || (zero && v == 0)); }
  double t(double v) const { return !log ? v : v == 0 ? zero_t : std::log10(v); }
  double px_t(double tv) const { return pixel_lo + (tv - lo) / (hi - lo) * (pixel_hi - pixel_lo); }
  double px(double v) const { return px_t(t(v)); }
};

// The axis from the values it must show (and a shared range, when given):
// from the lowest to the highest, with a small margin, never a decade more.
// `allow_zero`: on a log axis, 0 gets its own place before the first decade.
void fit(Axis& axis, const std::vector<double>& values, const std::optional<Range>& range, bool allow_zero) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  bool has_zero = false;
  auto take = [&](double v) {
    if (!std::isfinite(v)) return;
    if (axis.log && v <= 0) {
      has_zero = has_zero || v == 0;
      return;
    }
    lo = std::min(lo, axis.t(v)), hi = std::max(hi, axis.t(v));
  };
  for (double v : values) take(v);
  if (range) take(range->first), take(range->second);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(lo))) {
    double pad = axis.log ? 0.5 : std::max(std::fabs(lo) * 0.1, 1.0);
    lo -= pad, hi += pad;
  } else {
    double pad = (hi - lo) * (axis.log ? 0.03 : 0.02);
    lo -= pad, hi += pad;
  }
  if (axis.log && allow_zero && has_zero) {
    axis.zero = true;
    axis.zero_t = lo - std::max(0.3, 0.07 * (hi - lo));
    axis.break_t = (axis.zero_t + lo) / 2;
    lo = axis.zero_t - 0.02 * (hi - lo);
  }
  axis.lo = lo, axis.hi = hi;
}

// Tick positions in data units, inside the axis.
std::vector<double> ticks(const Axis& axis) {
  std::vector<double> out;
  if (axis.log) {
    if (axis.zero) out.push_back(0);
    double first = axis.zero ? axis.break_t : axis.lo;  // the decades after the break
    int e_lo = static_cast<int>(std::ceil(first - 1e-9)), e_hi = static_cast<int>(std::floor(axis.hi + 1e-9));
    int span = e_hi - e_lo;
    if (span < 1) {  // under two decades inside: 1, 2, 5 of each
      for (int e = e_lo - 1; e <= e_hi; ++e)
        for (double m : {1.0, 2.0, 5.0}) {
          double v = m * std::pow(10.0, e), tv = std::log10(v);
          if (tv >= first - 1e-9 && tv <= axis.hi + 1e-9) out.push_back(v);
        }
      return out;
    }
    int step = std::max(1, (span + 7) / 8);
    for (int e = e_lo; e <= e_hi; e += step) out.push_back(std::pow(10.0, e));
    return out;
  }
  double raw = (axis.hi - axis.lo) / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
  for (double v = std::ceil(axis.lo / step) * step; v <= axis.hi + step * 1e-9; v += step)
    out.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  return out;
}

std::string number_label(double v) {
  if (v == 0) return "0";
  double a = std::fabs(v);
  if (a >= 1e-3 && a < 1e5) return fmt("%g", v);
  double e = std::log10(a);
  if (std::fabs(e - std::round(e)) < 1e-9) return std::string(v < 0 ? "-" : "") + "1e" + fmt("%.0f", std::round(e));
  return fmt("%.0e", v);
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

std::string svg_open(const std::string& id, int width, int height) {
  auto w = std::to_string(width), h = std::to_string(height);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" data-plot=\"" + escape_xml(id) + "\" width=\"" + w +
         "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\" style=\"width:100%;max-width:" + w +
         "px;height:auto\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
}

std::string text_at(double x, double y, const std::string& anchor, const std::string& text, const std::string& extra = "") {
  return "<text x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", y) + "\" text-anchor=\"" + anchor + "\"" + extra + ">" +
         text + "</text>\n";
}

std::string axis_title(const std::string& label, bool log) { return escape_xml(label) + (log ? " (log)" : ""); }

// A break on a log x axis between 0 and the first decade: two short slashes across the frame's bottom.
std::string axis_break(double at, double frame) {
  std::string out;
  for (double d : {-3.0, 3.0})
    out += "<line class=\"axis-break\" x1=\"" + fmt("%.1f", at + d - 3) + "\" x2=\"" + fmt("%.1f", at + d + 3) + "\" y1=\"" +
           fmt("%.1f", frame + 5) + "\" y2=\"" + fmt("%.1f", frame - 5) + "\" stroke=\"#444\"/>\n";
  return out;
}

}  // namespace

// Viridis at nine stops, interpolated: perceptually even, readable in grey.
std::string viridis(double f) {
  static const double stops[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},  {44, 113, 142}, {33, 144, 141},
                                     {39, 173, 129}, {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
  f = std::clamp(std::isfinite(f) ? f : 0.0, 0.0, 1.0) * 8;
  int i = std::min(7, static_cast<int>(f));
  double u = f - i;
  char buf[16];
  snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(stops[i][0] + u * (stops[i + 1][0] - stops[i][0]) + 0.5),
           static_cast<int>(stops[i][1] + u * (stops[i + 1][1] - stops[i][1]) + 0.5),
           static_cast<int>(stops[i][2] + u * (stops[i + 1][2] - stops[i][2]) + 0.5));
  return buf;
}


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

bool spans_decades_from_zero(const std::vector<double>& values) {
  std::vector<double> positive;
  for (double v : values) {
    if (v < 0) return false;
    if (v > 0) positive.push_back(v);
  }
  return spans_decades(positive);
}

void share_axes(std::vector<Plot>& panels) {
  auto extend = [](std::optional<Range>& r, double v, bool log) {
    if (!std::isfinite(v) || (log && v < 0)) return;
    if (!r) r = Range{v, v};
    else r->first = std::min(r->first, v), r->second = std::max(r->second, v);
  };
  std::optional<Range> x, y;
  for (const auto& p : panels)
    for (const auto& s : p.series) {
      for (double v : s.x) extend(x, v, p.log_x);
      for (const auto* values : {&s.y, &s.low, &s.high})
        for (double v : *values) extend(y, v, p.log_y);
    }
  bool log_x = std::any_of(panels.begin(), panels.end(), [](const Plot& p) { return p.log_x; });
  bool log_y = std::any_of(panels.begin(), panels.end(), [](const Plot& p) { return p.log_y; });
  for (auto& p : panels) p.x_range = x, p.y_range = y, p.log_x = log_x, p.log_y = log_y;
}

std::string render_svg(const Plot& plot, int width, int height) {
  size_t longest = 0;
  for (const auto& s : plot.series) longest = std::max(longest, std::min<size_t>(s.label.size(), 28));
  const double left = 72, top = 36, bottom = 48;
  const double right = std::clamp(48 + 6.6 * static_cast<double>(longest), 110.0, 230.0);
  Axis x{plot.log_x}, y{plot.log_y};
  std::vector<double> xs, ys;
  for (const auto& s : plot.series) {
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    ys.insert(ys.end(), s.y.begin(), s.y.end());
    ys.insert(ys.end(), s.low.begin(), s.low.end());
    ys.insert(ys.end(), s.high.begin(), s.high.end());
  }
  fit(x, xs, plot.x_range, plot.x_labels.empty());
  fit(y, ys, plot.y_range, false);
  x.pixel_lo = left, x.pixel_hi = width - right;
  y.pixel_lo = height - bottom, y.pixel_hi = top;

  std::string svg = svg_open(plot.id, width, height);
  svg += text_at((left + width - right) / 2, 20, "middle", escape_xml(plot.title), " font-size=\"14\"");
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
    auto text = plot.x_labels.empty() ? number_label(v) : i % label_every == 0 ? escape_xml(plot.x_labels[i]) : "";
    svg += "<line x1=\"" + px + "\" x2=\"" + px + "\" y1=\"" + fmt("%.1f", top) + "\" y2=\"" + fmt("%.1f", height - bottom) +
           "\" stroke=\"#e6e6e6\"/>\n" +
           text_at(x.px(v), height - bottom + 16, "middle", text, plot.x_labels.empty() ? "" : " class=\"x-label\"");
  }
  for (double v : ticks(y)) {
    auto py = fmt("%.1f", y.px(v));
    svg += "<line x1=\"" + fmt("%.1f", left) + "\" x2=\"" + fmt("%.1f", width - right) + "\" y1=\"" + py + "\" y2=\"" + py +
           "\" stroke=\"#e6e6e6\"/>\n" + text_at(left - 6, y.px(v), "end", number_label(v), " dominant-baseline=\"middle\"");
  }
  svg += "<rect x=\"" + fmt("%.1f", left) + "\" y=\"" + fmt("%.1f", top) + "\" width=\"" + fmt("%.1f", width - left - right) +
         "\" height=\"" + fmt("%.1f", height - top - bottom) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  if (x.zero) svg += axis_break(x.px_t(x.break_t), height - bottom);
  svg += text_at((left + width - right) / 2, height - 10, "middle", axis_title(plot.x_label, plot.log_x));
  svg += "<text transform=\"translate(16," + fmt("%.1f", (top + height - bottom) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         axis_title(plot.y_label, plot.log_y) + "</text>\n";

  for (size_t i = 0; i < plot.series.size(); ++i) {
    const auto& s = plot.series[i];
    const std::string color =
        s.rgb.empty() ? kColors[static_cast<size_t>(s.color >= 0 ? s.color : static_cast<int>(i)) % 10] : s.rgb;
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
    for (double mx : s.marks) {  // a cross on the line where it ends early (a diverged run)
      auto at = std::find(s.x.begin(), s.x.end(), mx);
      if (at == s.x.end()) continue;
      double my = s.y[static_cast<size_t>(at - s.x.begin())];
      if (!x.usable(mx) || !y.usable(my)) continue;
      double cx = x.px(mx), cy = y.px(my);
      svg += "<path class=\"mark\" d=\"M" + fmt("%.1f", cx - 5) + "," + fmt("%.1f", cy - 5) + "L" + fmt("%.1f", cx + 5) + "," +
             fmt("%.1f", cy + 5) + "M" + fmt("%.1f", cx - 5) + "," + fmt("%.1f", cy + 5) + "L" + fmt("%.1f", cx + 5) + "," +
             fmt("%.1f", cy - 5) + "\" stroke=\"" + color + "\" stroke-width=\"2.4\"/>\n";
    }
    double ly = top + 8 + 18.0 * static_cast<double>(i);
    auto label = s.label.size() > 28 ? s.label.substr(0, 27) + "…" : s.label;
    svg += "<line x1=\"" + fmt("%.1f", width - right + 12) + "\" x2=\"" + fmt("%.1f", width - right + 32) + "\" y1=\"" +
           fmt("%.1f", ly) + "\" y2=\"" + fmt("%.1f", ly) + "\" stroke=\"" + color + "\" stroke-width=\"3\"" +
           (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
    svg += text_at(width - right + 38, ly, "start", escape_xml(label), " dominant-baseline=\"middle\"") + "</g>\n";
  }
  return svg + "</svg>\n";
}

std::string render_heatmap(const Heatmap& map, int width, int height) {
  const double left = 86, right = 110, top = 36, bottom = 48;
  const size_t rows = map.y_labels.size();
  const size_t cols = map.x_labels.empty() ? map.x.size() : map.x_labels.size();
  std::string svg = svg_open(map.id, width, height);
  svg += text_at((left + width - right) / 2, 20, "middle", escape_xml(map.title), " font-size=\"14\"");
  const double plot_w = width - left - right, plot_h = height - top - bottom;

  // column edges in pixels: equal cells for labels, else halfway between numeric centres
  std::vector<double> edges;
  Axis x{map.log_x};
  if (map.x_labels.empty()) {
    fit(x, map.x, std::nullopt, true);
    x.pixel_lo = left, x.pixel_hi = left + plot_w;
    std::vector<double> centres;
    for (double v : map.x) centres.push_back(x.usable(v) ? x.px(v) : NAN);
    for (size_t c = 0; c <= cols; ++c) {
      if (cols == 1) edges.push_back(c == 0 ? left : left + plot_w);
      else if (c == 0) edges.push_back(std::max(left, centres[0] - (centres[1] - centres[0]) / 2));
      else if (c == cols) edges.push_back(std::min(left + plot_w, centres[c - 1] + (centres[c - 1] - centres[c - 2]) / 2));
      else edges.push_back((centres[c - 1] + centres[c]) / 2);
    }
  } else {
    for (size_t c = 0; c <= cols; ++c) edges.push_back(left + plot_w * static_cast<double>(c) / static_cast<double>(cols));
  }
  // the colour scale over the finite values (positive ones on a log scale), 2nd to 97th percentile
  std::vector<double> scale;
  for (const auto& row : map.z)
    for (double v : row)
      if (std::isfinite(v) && (!map.log_z || v > 0)) scale.push_back(map.log_z ? std::log10(v) : v);
  std::sort(scale.begin(), scale.end());
  double lo = 0, hi = 1;
  bool clipped_lo = false, clipped_hi = false;
  if (!scale.empty()) {
    auto at = [&](double q) { return scale[static_cast<size_t>(q * static_cast<double>(scale.size() - 1) + 0.5)]; };
    lo = scale.size() >= 50 ? at(0.02) : scale.front();
    hi = scale.size() >= 50 ? at(0.97) : scale.back();
    clipped_lo = lo > scale.front(), clipped_hi = hi < scale.back();
  }
  if (hi - lo < 1e-300) hi = lo + 1;
  auto shade = [&](double v) {
    if (!std::isfinite(v) || (map.log_z && v <= 0)) return std::string("#d9d9d9");
    return viridis(((map.log_z ? std::log10(v) : v) - lo) / (hi - lo));
  };
  const double row_h = plot_h / static_cast<double>(std::max<size_t>(rows, 1));
  for (size_t r = 0; r < rows && r < map.z.size(); ++r) {
    double y0 = top + plot_h - row_h * static_cast<double>(r + 1);
    for (size_t c = 0; c < cols && c < map.z[r].size(); ++c) {
      if (!std::isfinite(edges[c]) || !std::isfinite(edges[c + 1])) continue;
      double v = map.z[r][c];
      svg += "<rect class=\"cell\" shape-rendering=\"crispEdges\" x=\"" + fmt("%.2f", edges[c]) + "\" y=\"" + fmt("%.2f", y0) + "\" width=\"" +
             fmt("%.2f", std::max(0.5, edges[c + 1] - edges[c]) + 0.3) + "\" height=\"" + fmt("%.2f", row_h + 0.3) +
             "\" fill=\"" + shade(v) + "\"><title>" + escape_xml(map.y_labels[r]) + ", " +
             escape_xml(map.x_labels.empty() ? number_label(map.x[c]) : map.x_labels[c]) + ": " +
             (std::isfinite(v) ? fmt("%.4g", v) : std::string("none")) + "</title></rect>\n";
    }
    size_t every = std::max<size_t>(1, rows / 14 + 1);
    if (r % every == 0)
      svg += text_at(left - 6, y0 + row_h / 2, "end", escape_xml(map.y_labels[r]), " dominant-baseline=\"middle\"");
  }
  if (map.x_labels.empty()) {
    for (double v : ticks(x))
      svg += text_at(x.px(v), height - bottom + 16, "middle", number_label(v));
    if (x.zero) svg += axis_break(x.px_t(x.break_t), height - bottom);
  } else {
    size_t every = std::max<size_t>(1, cols / 12 + 1);
    for (size_t c = 0; c < cols; c += every)
      svg += text_at((edges[c] + edges[c + 1]) / 2, height - bottom + 16, "middle", escape_xml(map.x_labels[c]));
  }
  svg += "<rect x=\"" + fmt("%.1f", left) + "\" y=\"" + fmt("%.1f", top) + "\" width=\"" + fmt("%.1f", plot_w) +
         "\" height=\"" + fmt("%.1f", plot_h) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  svg += text_at(left + plot_w / 2, height - 10, "middle", axis_title(map.x_label, map.log_x && map.x_labels.empty()));
  svg += "<text transform=\"translate(16," + fmt("%.1f", top + plot_h / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         escape_xml(map.y_label) + "</text>\n";
  // colour bar
  const double bar_x = left + plot_w + 18, bar_w = 14;
  const int steps = 48;
  svg += "<g class=\"colorbar\">\n";
  for (int i = 0; i < steps; ++i) {
    double f0 = static_cast<double>(i) / steps;
    svg += "<rect x=\"" + fmt("%.1f", bar_x) + "\" y=\"" + fmt("%.2f", top + plot_h * (1 - f0 - 1.0 / steps)) + "\" width=\"" +
           fmt("%.1f", bar_w) + "\" height=\"" + fmt("%.2f", plot_h / steps + 0.3) + "\" fill=\"" +
           viridis(f0 + 0.5 / steps) + "\"/>\n";
  }
  for (int i = 0; i <= 4; ++i) {
    double t = lo + (hi - lo) * i / 4;
    double v = map.log_z ? std::pow(10.0, t) : t;
    auto label = fmt("%.3g", v);
    if ((i == 0 && clipped_lo) || (i == 4 && clipped_hi)) label = (i == 0 ? "\u2264 " : "\u2265 ") + label;
    svg += text_at(bar_x + bar_w + 4, top + plot_h * (1 - i / 4.0), "start", label, " dominant-baseline=\"middle\"");
  }
  svg += "<text transform=\"translate(" + fmt("%.1f", static_cast<double>(width) - 8) + "," + fmt("%.1f", top + plot_h / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + axis_title(map.z_label, map.log_z) + "</text>\n</g>\n";
  return svg + "</svg>\n";
}

}  // namespace genbench

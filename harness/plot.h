// Plots as standalone SVG, written by the project so reports need nothing
// beyond a browser: line plots (median lines with shaded bands, e.g. the
// min-max over seeds; linear or log axes; a legend) and heatmaps (a value over
// two axes, e.g. test error over width x epoch).
//
// Axes end at the data (no decade of padding), and a log step axis keeps
// step 0: it sits left of the first decade, past a break mark.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace genbench {

struct Series {
  std::string label;
  std::vector<double> x, y;       // the line (NaN breaks it)
  std::vector<double> low, high;  // the band around it; empty for none
  int color = -1;                 // palette index, so a point keeps its color across plots; -1: by position
  std::string rgb;                // "#rrggbb" instead of the palette (e.g. a gradient over a numeric parameter)
  bool dashed = false;            // e.g. a theory curve beside the measured one
  std::vector<double> marks;      // x values to mark with a cross (e.g. where a run diverged)
};

using Range = std::pair<double, double>;  // lowest and highest value an axis must show, in data units

struct Plot {
  std::string id;  // becomes data-plot="..." on the <svg>, for tests and links
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  std::vector<Series> series;
  std::vector<std::string> x_labels;  // labels at x = 1, 2, ... (e.g. commits) instead of numbers; may be empty
  std::optional<Range> x_range, y_range;  // shared axes of small multiples (share_axes); else fitted to the data
};

// A value over two axes: z[row][col]; rows are drawn bottom up. Columns sit at
// numeric x (e.g. steps, on a log axis with step 0 kept) or, with x_labels,
// one equal cell each; rows are always one equal cell per label.
struct Heatmap {
  std::string id, title, x_label, y_label, z_label;
  std::vector<double> x;                // column centres; empty when x_labels names the columns
  std::vector<std::string> x_labels;    // categorical columns (e.g. a grid parameter's values)
  std::vector<std::string> y_labels;    // one per row, bottom up
  std::vector<std::vector<double>> z;   // NaN: no value (drawn grey)
  bool log_x = false, log_z = false;
};

// Whether positive data spanning more than two decades should get a log axis.
bool spans_decades(const std::vector<double>& values);
// The same, allowing zeros (a step axis that starts at 0): the positive values span the decades.
bool spans_decades_from_zero(const std::vector<double>& values);

// Gives every plot the union of their x and y ranges, so panels side by side compare at a glance.
void share_axes(std::vector<Plot>& panels);

// The SVG scales to the width of its container (up to `width` px); `width` x
// `height` set its proportions and the font size relative to them.
std::string render_svg(const Plot& plot, int width = 720, int height = 420);
// The colour scale spans the 2nd to the 97th percentile, so a first epoch at
// chance does not wash out the rest; the colour bar marks a clipped end.
std::string render_heatmap(const Heatmap& map, int width = 720, int height = 420);
// A colour of the viridis scale, f in [0, 1].
std::string viridis(double f);

// Text safe inside HTML/SVG.
std::string escape_xml(const std::string& text);

}  // namespace genbench

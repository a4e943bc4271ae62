// Line plots as standalone SVG: median lines with shaded bands (e.g. the
// min-max over seeds), linear or log axes, a legend. Written by the project
// so reports need nothing beyond a browser.
#pragma once

#include <string>
#include <vector>

namespace genbench {

struct Series {
  std::string label;
  std::vector<double> x, y;       // the line (NaN breaks it)
  std::vector<double> low, high;  // the band around it; empty for none
  int color = -1;                 // palette index, so a point keeps its color across plots; -1: by position
  bool dashed = false;            // e.g. a theory curve beside the measured one
};

struct Plot {
  std::string id;  // becomes data-plot="..." on the <svg>, for tests and links
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  std::vector<Series> series;
  std::vector<std::string> x_labels;  // labels at x = 1, 2, ... (e.g. commits) instead of numbers; may be empty
};

// Whether positive data spanning more than two decades should get a log axis.
bool spans_decades(const std::vector<double>& values);

std::string render_svg(const Plot& plot, int width = 720, int height = 420);

// Text safe inside HTML/SVG.
std::string escape_xml(const std::string& text);

}  // namespace genbench

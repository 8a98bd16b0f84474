#pragma once
// Minimal SVG line charts for the report: axes with ticks, one coloured polyline (with markers) per series, a
// legend. Kept small on purpose; the numbers behind every chart are in the CSV files next to the report.
#include <string>
#include <vector>

namespace diffseg::experiment {

struct Series {
  std::string name;
  std::vector<double> x, y;
};

std::string svg_line_chart(const std::string& title, const std::vector<Series>& series, const std::string& x_label,
                           const std::string& y_label, bool markers = false);

std::string html_escape(const std::string& text);

}  // namespace diffseg::experiment

#pragma once
// Line charts for the report, drawn by D3 (Debian's libjs-d3, inlined into the page at build time, so the report
// still opens offline): the C++ side only writes each chart's data as JSON into a <figure class="chart">, and
// chart_scripts() adds D3 and the small drawing script once per page. The numbers behind every chart are also in
// the CSV files next to the report.
#include <string>
#include <vector>

namespace diffseg::experiment {

struct Series {
  std::string name;
  std::vector<double> x, y;  // non-finite y values are gaps
};

std::string line_chart_html(const std::string& title, const std::vector<Series>& series, const std::string& x_label,
                            const std::string& y_label, bool markers = false);

// <script> elements with D3 and the code that turns every figure.chart into an SVG chart.
std::string chart_scripts();

}  // namespace diffseg::experiment

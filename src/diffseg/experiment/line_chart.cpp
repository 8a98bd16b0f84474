#include "diffseg/experiment/line_chart.h"

#include <nlohmann/json.hpp>

#include "diffseg/experiment/html.h"

namespace diffseg::experiment {

extern const char* const kD3Source;  // generated from libjs-d3's d3.min.js (see CMakeLists.txt)

namespace {
// Axes, one coloured line (and markers) per series and a legend, with D3 v3's scales and axes.
constexpr const char* kDrawCharts = R"js(
(function () {
  var colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
  function finite(v) { return v !== null && isFinite(v); }
  function padded(extent) {
    if (extent[0] === undefined) return [0, 1];
    if (extent[0] === extent[1]) return [extent[0] - 0.5, extent[1] + 0.5];
    return extent;
  }
  d3.selectAll("figure.chart").each(function () {
    var spec = JSON.parse(this.getAttribute("data-chart"));
    var W = 640, H = 320, m = {l: 64, r: 170, t: 30, b: 46}, pw = W - m.l - m.r, ph = H - m.t - m.b;
    var points = [];
    spec.series.forEach(function (s) {
      s.x.forEach(function (x, i) { if (finite(s.y[i])) points.push([x, s.y[i]]); });
    });
    var x = d3.scale.linear().domain(padded(d3.extent(points, function (p) { return p[0]; }))).range([0, pw]).nice();
    var y = d3.scale.linear().domain(padded(d3.extent(points, function (p) { return p[1]; }))).range([ph, 0]).nice();
    var svg = d3.select(this).append("svg").attr("class", "chart").attr("width", W).attr("height", H)
        .attr("role", "img").attr("aria-label", spec.title);
    svg.append("text").attr("x", m.l).attr("y", 18).attr("class", "title").text(spec.title);
    var g = svg.append("g").attr("transform", "translate(" + m.l + "," + m.t + ")");
    var xAxis = d3.svg.axis().scale(x).orient("bottom").ticks(6);
    var whole = points.every(function (p) { return p[0] === Math.round(p[0]); });
    if (whole && x.domain()[1] - x.domain()[0] <= 10) xAxis.tickValues(d3.range(x.domain()[0], x.domain()[1] + 1));
    else if (whole) xAxis.tickFormat(d3.format("d"));
    g.append("g").attr("class", "axis").attr("transform", "translate(0," + ph + ")").call(xAxis);
    g.append("g").attr("class", "axis").call(d3.svg.axis().scale(y).orient("left").ticks(5));
    g.append("text").attr("x", pw / 2).attr("y", ph + 38).attr("text-anchor", "middle").text(spec.x_label);
    g.append("text").attr("transform", "rotate(-90)").attr("x", -ph / 2).attr("y", -48)
        .attr("text-anchor", "middle").text(spec.y_label);
    spec.series.forEach(function (s, k) {
      var colour = colours[k % colours.length];
      var data = s.x.map(function (xv, i) { return [xv, s.y[i]]; });
      var line = d3.svg.line().defined(function (p) { return finite(p[1]); })
          .x(function (p) { return x(p[0]); }).y(function (p) { return y(p[1]); });
      g.append("path").datum(data).attr("class", "line").attr("d", line).style("stroke", colour);
      if (spec.markers)
        g.selectAll(null).data(data.filter(function (p) { return finite(p[1]); })).enter().append("circle")
            .attr("cx", function (p) { return x(p[0]); }).attr("cy", function (p) { return y(p[1]); })
            .attr("r", 3).style("fill", colour);
      var legend = svg.append("g").attr("transform", "translate(" + (W - m.r + 14) + "," + (m.t + 14 * k) + ")");
      legend.append("rect").attr("width", 10).attr("height", 10).style("fill", colour);
      legend.append("text").attr("x", 14).attr("y", 9).text(s.name);
    });
  });
})();
)js";
}  // namespace

std::string line_chart_html(const std::string& title, const std::vector<Series>& series, const std::string& x_label,
                            const std::string& y_label, bool markers) {
  nlohmann::json spec = {{"title", title}, {"x_label", x_label}, {"y_label", y_label}, {"markers", markers},
                         {"series", nlohmann::json::array()}};
  for (const Series& s : series)  // nlohmann writes NaN/Inf as null: the gaps
    spec["series"].push_back({{"name", s.name}, {"x", s.x}, {"y", s.y}});
  return "<figure class=\"chart\" data-chart=\"" + html_escape(spec.dump()) + "\"></figure>";
}

std::string chart_scripts() {
  return std::string("<script>") + kD3Source + "</script><script>" + kDrawCharts + "</script>";
}

}  // namespace diffseg::experiment

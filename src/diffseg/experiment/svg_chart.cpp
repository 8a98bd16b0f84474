#include "diffseg/experiment/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace diffseg::experiment {

std::string html_escape(const std::string& text) {
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

namespace {
// "Nice" tick step (1, 2 or 5 × 10^k) for about `count` ticks over [lo, hi].
double tick_step(double lo, double hi, int count) {
  const double raw = (hi - lo) / count;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}
const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
}  // namespace

std::string svg_line_chart(const std::string& title, const std::vector<Series>& series, const std::string& x_label,
                           const std::string& y_label, bool markers) {
  const double W = 560, H = 320, left = 60, right = 150, top = 30, bottom = 45;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const Series& s : series)
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        x0 = std::min(x0, s.x[i]);
        x1 = std::max(x1, s.x[i]);
        y0 = std::min(y0, s.y[i]);
        y1 = std::max(y1, s.y[i]);
      }
  std::string out = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(int(W)) +
                    "\" height=\"" + std::to_string(int(H)) + "\" role=\"img\" aria-label=\"" + html_escape(title) + "\">";
  char buf[512];
  std::snprintf(buf, sizeof buf, "<text x=\"%g\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>", left,
                html_escape(title).c_str());
  out += buf;
  if (!std::isfinite(x0)) return out + "<text x=\"60\" y=\"60\">no data</text></svg>";
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const double pw = W - left - right, ph = H - top - bottom;
  auto sx = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto sy = [&](double y) { return top + (1 - (y - y0) / (y1 - y0)) * ph; };
  std::snprintf(buf, sizeof buf,
                "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#888\"/>", left, top, pw, ph);
  out += buf;
  for (int axis = 0; axis < 2; ++axis) {
    const double lo = axis == 0 ? x0 : y0, hi = axis == 0 ? x1 : y1;
    const double step = tick_step(lo, hi, 5);
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-12; v += step) {
      if (axis == 0)
        std::snprintf(buf, sizeof buf,
                      "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#eee\"/><text x=\"%.1f\" y=\"%g\" "
                      "font-size=\"10\" text-anchor=\"middle\">%g</text>",
                      sx(v), top, sx(v), top + ph, sx(v), top + ph + 14, v);
      else
        std::snprintf(buf, sizeof buf,
                      "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"%g\" y=\"%.1f\" "
                      "font-size=\"10\" text-anchor=\"end\">%g</text>",
                      left, sy(v), left + pw, sy(v), left - 4, sy(v) + 3, v);
      out += buf;
    }
  }
  std::snprintf(buf, sizeof buf,
                "<text x=\"%g\" y=\"%g\" font-size=\"11\" text-anchor=\"middle\">%s</text>"
                "<text x=\"14\" y=\"%g\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 %g)\">%s</text>",
                left + pw / 2, H - 8, html_escape(x_label).c_str(), top + ph / 2, top + ph / 2, html_escape(y_label).c_str());
  out += buf;
  for (size_t k = 0; k < series.size(); ++k) {
    const char* colour = kColours[k % 8];
    std::string points;
    for (size_t i = 0; i < series[k].x.size(); ++i) {
      if (!std::isfinite(series[k].y[i])) continue;
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", sx(series[k].x[i]), sy(series[k].y[i]));
      points += buf;
      if (markers) {
        std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", sx(series[k].x[i]),
                      sy(series[k].y[i]), colour);
        out += buf;
      }
    }
    out += "<polyline class=\"series\" fill=\"none\" stroke=\"" + std::string(colour) + "\" stroke-width=\"1.5\" points=\"" +
           points + "\"/>";
    std::snprintf(buf, sizeof buf,
                  "<rect x=\"%g\" y=\"%g\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%g\" y=\"%g\" "
                  "font-size=\"11\">%s</text>",
                  left + pw + 10, top + 16.0 * k, colour, left + pw + 24, top + 16.0 * k + 9,
                  html_escape(series[k].name).c_str());
    out += buf;
  }
  return out + "</svg>";
}

}  // namespace diffseg::experiment

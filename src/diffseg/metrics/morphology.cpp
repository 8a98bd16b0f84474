#include "diffseg/metrics/morphology.h"

#include <algorithm>
#include <deque>
#include <stdexcept>

#include "diffseg/metrics/distance_transform.h"

namespace diffseg::metrics {

namespace {
Mask2D like(const Mask2D& m) { return Mask2D{m.width, m.height, std::vector<uint8_t>(m.pixels.size(), 0)}; }

// Running min (erode) or max (dilate) over a 1D window of `side` along x or y; outside pixels are `outside`.
Mask2D line_filter(const Mask2D& m, int side, bool along_x, bool take_min) {
  if (side < 1 || side % 2 == 0) throw std::invalid_argument("box side must be odd and positive");
  const int64_t h = side / 2;
  const uint8_t outside = take_min ? 1 : 0;
  Mask2D out = like(m);
  const int64_t n_lines = along_x ? m.height : m.width, n = along_x ? m.width : m.height;
  for (int64_t line = 0; line < n_lines; ++line) {
    auto get = [&](int64_t i) -> uint8_t {
      if (i < 0 || i >= n) return outside;
      return along_x ? m.at(i, line) : m.at(line, i);
    };
    // Count of foreground pixels in the window, updated incrementally.
    int64_t count = 0;
    for (int64_t i = -h; i <= h; ++i) count += get(i);
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t v = take_min ? (count == side) : (count > 0);
      (along_x ? out.pixels[line * m.width + i] : out.pixels[i * m.width + line]) = v;
      count += get(i + h + 1) - get(i - h);
    }
  }
  return out;
}

std::vector<double> distance_to(const Mask2D& m, uint8_t value) {
  std::vector<uint8_t> features(m.pixels.size());
  for (size_t i = 0; i < features.size(); ++i) features[i] = m.pixels[i] == value;
  Grid grid;
  grid.dims = 2;
  grid.size = {m.width, m.height, 1};
  return distance_to_features(features, grid, 1);
}

double disk_reach(int radius) {
  if (radius < 0) throw std::invalid_argument("disk radius must be >= 0");
  return (radius + 0.5) * (radius + 0.5);
}
}  // namespace

Mask2D fill_holes(const Mask2D& m) {
  // Flood the background from the border (4-connected); what the flood does not reach is a hole.
  std::vector<uint8_t> reached(m.pixels.size(), 0);
  std::deque<int64_t> queue;
  auto push = [&](int64_t x, int64_t y) {
    const int64_t i = y * m.width + x;
    if (m.pixels[i] == 0 && !reached[i]) reached[i] = 1, queue.push_back(i);
  };
  for (int64_t x = 0; x < m.width; ++x) push(x, 0), push(x, m.height - 1);
  for (int64_t y = 0; y < m.height; ++y) push(0, y), push(m.width - 1, y);
  while (!queue.empty()) {
    const int64_t i = queue.front();
    queue.pop_front();
    const int64_t x = i % m.width, y = i / m.width;
    if (x > 0) push(x - 1, y);
    if (x + 1 < m.width) push(x + 1, y);
    if (y > 0) push(x, y - 1);
    if (y + 1 < m.height) push(x, y + 1);
  }
  Mask2D out = like(m);
  for (size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] = m.pixels[i] || !reached[i];
  return out;
}

Mask2D erode_box(const Mask2D& m, int side) { return line_filter(line_filter(m, side, true, true), side, false, true); }
Mask2D dilate_box(const Mask2D& m, int side) {
  return line_filter(line_filter(m, side, true, false), side, false, false);
}

Mask2D erode_disk(const Mask2D& m, int radius) {
  // A pixel survives when no background pixel lies within the disk; pixels outside the image count as foreground.
  const std::vector<double> d = distance_to(m, 0);
  const double reach = disk_reach(radius);
  Mask2D out = like(m);
  for (size_t i = 0; i < d.size(); ++i) out.pixels[i] = m.pixels[i] && d[i] * d[i] > reach;
  return out;
}

Mask2D dilate_disk(const Mask2D& m, int radius) {
  const std::vector<double> d = distance_to(m, 1);
  const double reach = disk_reach(radius);
  Mask2D out = like(m);
  for (size_t i = 0; i < d.size(); ++i) out.pixels[i] = d[i] * d[i] <= reach;
  return out;
}

Mask2D open_disk(const Mask2D& m, int radius) { return dilate_disk(erode_disk(m, radius), radius); }

Components connected_components(const Mask2D& m) {
  Components c;
  c.labels.assign(m.pixels.size(), 0);
  std::vector<int64_t> stack;
  for (int64_t start = 0; start < static_cast<int64_t>(m.pixels.size()); ++start) {
    if (!m.pixels[start] || c.labels[start]) continue;
    const auto label = static_cast<int32_t>(c.stats.size() + 1);
    Component comp{0, m.width, start / m.width};
    c.labels[start] = label;
    stack.push_back(start);
    while (!stack.empty()) {
      const int64_t i = stack.back();
      stack.pop_back();
      const int64_t x = i % m.width, y = i / m.width;
      ++comp.area;
      comp.left = std::min(comp.left, x);
      for (int64_t dy = -1; dy <= 1; ++dy)
        for (int64_t dx = -1; dx <= 1; ++dx) {
          const int64_t nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= m.width || ny >= m.height) continue;
          const int64_t j = ny * m.width + nx;
          if (m.pixels[j] && !c.labels[j]) c.labels[j] = label, stack.push_back(j);
        }
    }
    c.stats.push_back(comp);
  }
  return c;
}

}  // namespace diffseg::metrics

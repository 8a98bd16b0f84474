#pragma once
// NumPy's default ("linear") percentile, the one definition diffseg uses (HD95, bootstrap intervals, intensity
// normalisation): for n sorted values and q in [0, 100], the position h = (n − 1)·q/100 lies between the values of
// rank ⌊h⌋ and ⌊h⌋ + 1 (0-based), and the percentile interpolates linearly between them. Torch-free.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace diffseg {

struct PercentilePosition {
  size_t lo = 0, hi = 0;  // 0-based ranks of the two sorted values (hi = lo at the top end)
  double fraction = 0;    // weight of the value at `hi`
  double between(double at_lo, double at_hi) const { return at_lo + fraction * (at_hi - at_lo); }
};

// n ≥ 1.
inline PercentilePosition percentile_position(size_t n, double q) {
  const double h = q / 100.0 * static_cast<double>(n - 1);
  PercentilePosition p;
  p.lo = std::min(static_cast<size_t>(std::floor(h)), n - 1);
  p.hi = std::min(p.lo + 1, n - 1);
  p.fraction = h - static_cast<double>(p.lo);
  return p;
}

// Of values already sorted ascending; NaN when empty.
inline double percentile_of_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const PercentilePosition p = percentile_position(sorted.size(), q);
  return p.between(sorted[p.lo], sorted[p.hi]);
}

// Of unsorted values; NaN when empty.
inline double percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return percentile_of_sorted(values, q);
}

}  // namespace diffseg

#include "diffseg/io/image_stats.h"

#include <cmath>
#include <limits>

namespace diffseg::io {

ImageStats compute_stats(const Image& image, std::size_t max_distinct) {
  ImageStats s;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  int64_t finite = 0;
  bool track_counts = true;
  visit_dtype(image.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = image.data<T>();
    const int64_t n = image.size().elements();
    for (int64_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(p[i]);
      if (!std::isfinite(v)) {
        ++s.non_finite;
        continue;
      }
      ++finite;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
      if constexpr (std::is_floating_point_v<T>) {
        if (s.integer_valued && v != std::floor(v)) s.integer_valued = false;
      }
      if (track_counts && s.integer_valued) {
        ++s.value_counts[static_cast<int64_t>(v)];
        if (s.value_counts.size() > max_distinct) track_counts = false;
      }
    }
  });
  if (!track_counts || !s.integer_valued) s.value_counts.clear();
  if (finite > 0) {
    s.min = lo;
    s.max = hi;
    s.mean = sum / static_cast<double>(finite);
  }
  return s;
}

}  // namespace diffseg::io

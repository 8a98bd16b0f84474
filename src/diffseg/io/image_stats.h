#pragma once
// Summary numbers about an image: what `diffseg info` prints and what input validation checks.
#include <cstdint>
#include <map>

#include "diffseg/io/image.h"

namespace diffseg::io {

struct ImageStats {
  double min = 0, max = 0, mean = 0;  // over finite values
  int64_t non_finite = 0;             // NaN or ±Inf voxels
  bool integer_valued = true;         // every finite value is a whole number
  // Voxel count per value, filled when the image is integer-valued with at most `max_distinct` distinct values.
  std::map<int64_t, int64_t> value_counts;
  bool looks_like_label() const { return integer_valued && non_finite == 0 && !value_counts.empty(); }
};

ImageStats compute_stats(const Image& image, std::size_t max_distinct = 256);

}  // namespace diffseg::io

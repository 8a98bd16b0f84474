#pragma once
// Regions of overlapping structures scored as one (BraTS: whole tumour = classes 1, 2, 3; tumour core = 1, 3;
// enhancing tumour = 3): the binary map of the voxels whose class is one of the region's members.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace diffseg::metrics {

inline std::vector<int32_t> region_mask(const std::vector<int32_t>& labels, const std::vector<int>& members) {
  std::vector<int32_t> out(labels.size());
  std::transform(labels.begin(), labels.end(), out.begin(), [&](int32_t v) {
    return static_cast<int32_t>(std::find(members.begin(), members.end(), v) != members.end());
  });
  return out;
}

}  // namespace diffseg::metrics

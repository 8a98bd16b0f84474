#pragma once
// Overlap and surface-distance metrics per class, in mm, for 2D and 3D label maps (method.md: Metrics; conventions
// in docs/metrics.md). Torch-free: label maps come in as int32 arrays in memory order (x fastest) with a Grid.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "diffseg/core/percentile.h"
#include "diffseg/metrics/distance_transform.h"

namespace diffseg::metrics {

enum class EmptyPolicy {
  nan,    // reference default: distances NaN if either mask is empty
  monai,  // MONAI: NaN if both are empty, +inf if only one is
  worst,  // challenge style: 0 if both are empty, the image diagonal (mm) if only one is
};
enum class SurfaceAggregate {
  directed_max,  // max over the two directions of the per-direction statistic (reference, MONAI)
  pooled,        // one statistic over both directions' distances together (medpy's hd95/assd)
};

struct MetricOptions {
  double nsd_tolerance_mm = 1.0;
  EmptyPolicy empty = EmptyPolicy::nan;
  SurfaceAggregate hd95 = SurfaceAggregate::directed_max;
  SurfaceAggregate assd = SurfaceAggregate::directed_max;
  int threads = 0;  // 0 = all cores
};

EmptyPolicy parse_empty_policy(const std::string& name);
SurfaceAggregate parse_surface_aggregate(const std::string& name);

struct ClassMetrics {
  int label = 0;
  double dice = 0, iou = 0;
  double hd = 0, hd95 = 0, assd = 0, nsd = 0;  // mm (pixels when spacing is 1)
  double centroid_dist = 0;                    // mm
  double volume_pred = 0, volume_ref = 0;      // mm³ (mm² in 2D)
};

// Dice = 2|P ∩ R| / (|P| + |R|) from voxel counts; NaN when both masks are empty (no score, not a perfect one).
// The one Dice definition: metrics tables, evaluation and validation during training all use it.
inline double dice_from_counts(int64_t intersection, int64_t predicted, int64_t reference) {
  return predicted + reference == 0 ? std::numeric_limits<double>::quiet_NaN()
                                    : 2.0 * static_cast<double>(intersection) / static_cast<double>(predicted + reference);
}

// Metrics of one binary pair (non-zero = inside).
ClassMetrics compare_masks(const std::vector<uint8_t>& pred, const std::vector<uint8_t>& ref, const Grid& grid,
                           const MetricOptions& options);

// Metrics for each label in `labels` (class ids of the label maps), computed in parallel over classes.
std::vector<ClassMetrics> compare_label_maps(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref,
                                             const Grid& grid, const std::vector<int>& labels,
                                             const MetricOptions& options);

using diffseg::percentile;  // core/percentile.h: NumPy's linear percentile, q in [0, 100]

}  // namespace diffseg::metrics

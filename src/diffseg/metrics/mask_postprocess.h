#pragma once
// Dataset-specific post-processing of predicted label maps, applied to every sampling step's prediction (and to
// ensembles) before the metrics. Selected by `eval.postprocess` in the run config: "none" or "muscle_us".
#include <cstdint>
#include <string>
#include <vector>

#include "diffseg/metrics/morphology.h"

namespace diffseg::metrics {

// The dataset authors' component rule (docs/metrics.md): with two or more 8-connected components, keep the largest when
// the second-largest has at most `threshold` × its area; otherwise keep whichever of the two largest has the
// smaller leftmost column. Masks with at most one component are returned unchanged.
Mask2D select_connected_component(const Mask2D& mask, double threshold);

// Muscle ultrasound: fill holes, erode with a 5×5 box, dilate with a 9×9 disk, open with a 19×19 disk, select a
// component (threshold 0.75), fill holes.
Mask2D postprocess_muscle_us(const Mask2D& mask);

enum class PostProcess { none, muscle_us };
PostProcess parse_postprocess(const std::string& name);  // UsageError for unknown names

// Applies `kind` in place to a 2D label map (x fastest). muscle_us treats every non-zero label as the muscle and
// needs a 2D binary task: UsageError otherwise.
void postprocess_labels(std::vector<int32_t>& labels, int64_t width, int64_t height, int spatial_dims, int num_classes,
                        PostProcess kind);

}  // namespace diffseg::metrics

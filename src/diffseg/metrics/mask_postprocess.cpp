#include "diffseg/metrics/mask_postprocess.h"

#include <algorithm>
#include <numeric>

#include "diffseg/core/error.h"

namespace diffseg::metrics {

Mask2D select_connected_component(const Mask2D& mask, double threshold) {
  const Components c = connected_components(mask);
  if (c.stats.size() < 2) return mask;
  std::vector<size_t> order(c.stats.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; equal areas keep raster order (the component met first wins), as a stable sort does.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return c.stats[a].area > c.stats[b].area; });
  const Component& first = c.stats[order[0]];
  const Component& second = c.stats[order[1]];
  size_t keep = order[0];
  if (static_cast<double>(second.area) > threshold * static_cast<double>(first.area) && second.left < first.left)
    keep = order[1];
  Mask2D out{mask.width, mask.height, std::vector<uint8_t>(mask.pixels.size(), 0)};
  const auto label = static_cast<int32_t>(keep + 1);
  for (size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] = c.labels[i] == label;
  return out;
}

Mask2D postprocess_muscle_us(const Mask2D& mask) {
  Mask2D m = fill_holes(mask);
  m = erode_box(m, 5);
  m = dilate_disk(m, 4);
  m = open_disk(m, 9);
  m = select_connected_component(m, 0.75);
  return fill_holes(m);
}

PostProcess parse_postprocess(const std::string& name) {
  if (name == "none" || name.empty()) return PostProcess::none;
  if (name == "muscle_us") return PostProcess::muscle_us;
  throw UsageError("eval.postprocess must be none or muscle_us, not '" + name + "'");
}

void postprocess_labels(std::vector<int32_t>& labels, int64_t width, int64_t height, int spatial_dims, int num_classes,
                        PostProcess kind) {
  if (kind == PostProcess::none) return;
  if (spatial_dims != 2 || num_classes != 2)
    throw UsageError("eval.postprocess: muscle_us applies to 2D binary segmentation only");
  Mask2D m{width, height, std::vector<uint8_t>(labels.size())};
  for (size_t i = 0; i < labels.size(); ++i) m.pixels[i] = labels[i] != 0;
  m = postprocess_muscle_us(m);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = m.pixels[i];
}

}  // namespace diffseg::metrics

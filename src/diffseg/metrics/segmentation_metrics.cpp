#include "diffseg/metrics/segmentation_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "diffseg/core/error.h"
#include "diffseg/core/parallel.h"

namespace diffseg::metrics {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Box {
  std::array<int64_t, 3> lo{0, 0, 0}, hi{-1, -1, -1};  // inclusive
};

// Surface = mask XOR erosion(mask) with the face-connected cross; outside the grid counts as background.
std::vector<uint8_t> surface_of(const std::vector<uint8_t>& m, const Grid& g) {
  const int64_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
  std::vector<uint8_t> s(m.size(), 0);
  for (int64_t z = 0; z < nz; ++z)
    for (int64_t y = 0; y < ny; ++y)
      for (int64_t x = 0; x < nx; ++x) {
        const int64_t i = x + nx * (y + ny * z);
        if (!m[i]) continue;
        bool interior = x > 0 && x + 1 < nx && m[i - 1] && m[i + 1] && y > 0 && y + 1 < ny && m[i - nx] && m[i + nx];
        if (interior && g.dims == 3) interior = z > 0 && z + 1 < nz && m[i - nx * ny] && m[i + nx * ny];
        s[i] = interior ? 0 : 1;
      }
  return s;
}

double mean_of(const std::vector<double>& v) {
  return v.empty() ? kNaN : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}
double max_of(const std::vector<double>& v) { return v.empty() ? kNaN : *std::max_element(v.begin(), v.end()); }

}  // namespace

EmptyPolicy parse_empty_policy(const std::string& name) {
  if (name == "nan") return EmptyPolicy::nan;
  if (name == "monai") return EmptyPolicy::monai;
  if (name == "worst") return EmptyPolicy::worst;
  throw UsageError("unknown empty-mask policy '" + name + "' (use nan, monai or worst)");
}

SurfaceAggregate parse_surface_aggregate(const std::string& name) {
  if (name == "directed_max" || name == "max") return SurfaceAggregate::directed_max;
  if (name == "pooled") return SurfaceAggregate::pooled;
  throw UsageError("unknown surface aggregate '" + name + "' (use directed_max or pooled)");
}

ClassMetrics compare_masks(const std::vector<uint8_t>& pred, const std::vector<uint8_t>& ref, const Grid& g,
                           const MetricOptions& o) {
  if (static_cast<int64_t>(pred.size()) != g.voxels() || static_cast<int64_t>(ref.size()) != g.voxels())
    throw std::invalid_argument("mask sizes do not match the grid");
  const int64_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
  const double voxel_volume = g.spacing[0] * g.spacing[1] * (g.dims == 3 ? g.spacing[2] : 1.0);
  ClassMetrics r;
  int64_t np = 0, nr = 0, both = 0;
  double cp[3] = {0, 0, 0}, cr[3] = {0, 0, 0};
  Box box;
  box.lo = {nx, ny, nz};
  for (int64_t z = 0; z < nz; ++z)
    for (int64_t y = 0; y < ny; ++y)
      for (int64_t x = 0; x < nx; ++x) {
        const int64_t i = x + nx * (y + ny * z);
        const bool p = pred[i] != 0, t = ref[i] != 0;
        if (!p && !t) continue;
        const int64_t c[3] = {x, y, z};
        for (int a = 0; a < 3; ++a) {
          box.lo[a] = std::min(box.lo[a], c[a]);
          box.hi[a] = std::max(box.hi[a], c[a]);
          if (p) cp[a] += static_cast<double>(c[a]);
          if (t) cr[a] += static_cast<double>(c[a]);
        }
        np += p;
        nr += t;
        both += p && t;
      }
  r.volume_pred = static_cast<double>(np) * voxel_volume;
  r.volume_ref = static_cast<double>(nr) * voxel_volume;
  r.dice = dice_from_counts(both, np, nr);
  r.iou = (np + nr) == 0 ? kNaN : static_cast<double>(both) / static_cast<double>(np + nr - both);

  if (np == 0 || nr == 0) {
    double value = kNaN;
    if (o.empty == EmptyPolicy::monai && np + nr > 0) value = kInf;
    if (o.empty == EmptyPolicy::worst) {
      double diag = 0;
      for (int a = 0; a < g.dims; ++a) diag += std::pow(static_cast<double>(g.size[a]) * g.spacing[a], 2);
      value = np + nr == 0 ? 0.0 : std::sqrt(diag);
    }
    r.hd = r.hd95 = r.assd = value;
    r.nsd = np + nr == 0 ? kNaN : 0.0;
    r.centroid_dist = kNaN;
    return r;
  }
  double cd = 0;
  for (int a = 0; a < 3; ++a) {
    const double d = (cp[a] / static_cast<double>(np) - cr[a] / static_cast<double>(nr)) * g.spacing[a];
    cd += d * d;
  }
  r.centroid_dist = std::sqrt(cd);

  // Crop to the union's bounding box (outside it both masks are empty, so surfaces and distances are unchanged).
  Grid c = g;
  for (int a = 0; a < 3; ++a) c.size[a] = box.hi[a] - box.lo[a] + 1;
  std::vector<uint8_t> pc(static_cast<size_t>(c.voxels())), rc(pc.size());
  for (int64_t z = 0; z < c.size[2]; ++z)
    for (int64_t y = 0; y < c.size[1]; ++y)
      for (int64_t x = 0; x < c.size[0]; ++x) {
        const int64_t src = (x + box.lo[0]) + nx * ((y + box.lo[1]) + ny * (z + box.lo[2]));
        const int64_t dst = x + c.size[0] * (y + c.size[1] * z);
        pc[dst] = pred[src] != 0;
        rc[dst] = ref[src] != 0;
      }
  const std::vector<uint8_t> sp = surface_of(pc, c), sr = surface_of(rc, c);
  // The two transforms run side by side, each on half the threads (fewer, longer parallel sections).
  std::vector<double> to_ref, to_pred;
  const int threads = o.threads > 0 ? o.threads : default_threads();
  parallel_for(2, std::min(threads, 2), [&](int64_t which) {
    const int inner = std::max(1, threads / 2);
    if (which == 0) to_ref = squared_distance_to_features(sr, c, inner);
    else to_pred = squared_distance_to_features(sp, c, inner);
  });
  std::vector<double> p2r, r2p;  // square roots only at the surface voxels
  for (size_t i = 0; i < sp.size(); ++i) {
    if (sp[i]) p2r.push_back(std::sqrt(to_ref[i]));
    if (sr[i]) r2p.push_back(std::sqrt(to_pred[i]));
  }
  std::vector<double> pooled(p2r);
  pooled.insert(pooled.end(), r2p.begin(), r2p.end());
  r.hd = std::max(max_of(p2r), max_of(r2p));
  r.hd95 = o.hd95 == SurfaceAggregate::pooled ? percentile(pooled, 95)
                                              : std::max(percentile(p2r, 95), percentile(r2p, 95));
  r.assd = o.assd == SurfaceAggregate::pooled ? mean_of(pooled) : std::max(mean_of(p2r), mean_of(r2p));
  const double tol = o.nsd_tolerance_mm + 1e-9;  // distances equal to the tolerance count as within it
  const auto within = [&](const std::vector<double>& d) {
    return static_cast<double>(std::count_if(d.begin(), d.end(), [&](double v) { return v <= tol; }));
  };
  r.nsd = (within(p2r) + within(r2p)) / static_cast<double>(pooled.size());
  return r;
}

std::vector<ClassMetrics> compare_label_maps(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref,
                                             const Grid& g, const std::vector<int>& labels, const MetricOptions& o) {
  if (pred.size() != ref.size() || static_cast<int64_t>(pred.size()) != g.voxels())
    throw std::invalid_argument("label maps do not match the grid");
  std::vector<ClassMetrics> out(labels.size());
  // Parallel over classes; each class's distance transforms then run single-threaded (no oversubscription).
  MetricOptions inner = o;
  inner.threads = labels.size() > 1 ? 1 : o.threads;
  parallel_for(static_cast<int64_t>(labels.size()), labels.size() > 1 ? o.threads : 1, [&](int64_t k) {
    const int label = labels[static_cast<size_t>(k)];
    std::vector<uint8_t> p(pred.size()), t(ref.size());
    for (size_t i = 0; i < pred.size(); ++i) {
      p[i] = pred[i] == label;
      t[i] = ref[i] == label;
    }
    out[static_cast<size_t>(k)] = compare_masks(p, t, g, inner);
    out[static_cast<size_t>(k)].label = label;
  });
  return out;
}

}  // namespace diffseg::metrics

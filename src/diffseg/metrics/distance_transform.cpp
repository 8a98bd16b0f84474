#include "diffseg/metrics/distance_transform.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "diffseg/core/parallel.h"

namespace diffseg::metrics {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

// Scratch space of one line's lower envelope: for hull parabola k, its root x (mm), its value at the root and
// where it starts to be the lowest (z[k]; z has one more entry).
struct Envelope {
  std::vector<double> x, value, z;
  void resize(int64_t n) {
    x.resize(static_cast<size_t>(n));
    value.resize(static_cast<size_t>(n));
    z.resize(static_cast<size_t>(n + 1));
  }
};

// 1D squared distance transform of f in place (n samples spaced `h` apart): f[q] ← min_p (h(q - p))² + f[p].
void transform_line(double* f, int64_t n, double h, Envelope& e) {
  int64_t k = -1;
  for (int64_t q = 0; q < n; ++q) {
    const double fq = f[q];
    if (fq == kInf) continue;
    const double xq = h * static_cast<double>(q), gq = fq + xq * xq;
    while (k >= 0) {
      // Where the parabola rooted at q starts to lie below hull parabola k.
      const double s = (gq - (e.value[k] + e.x[k] * e.x[k])) / (2.0 * (xq - e.x[k]));
      if (s > e.z[k]) {
        ++k;
        e.x[k] = xq;
        e.value[k] = fq;
        e.z[k] = s;
        e.z[k + 1] = kInf;
        break;
      }
      --k;
    }
    if (k < 0) {
      k = 0;
      e.x[0] = xq;
      e.value[0] = fq;
      e.z[0] = -kInf;
      e.z[1] = kInf;
    }
  }
  if (k < 0) return;  // no finite sample on this line: stays +inf
  int64_t j = 0;
  for (int64_t q = 0; q < n; ++q) {  // f[q] is no longer needed once q has been passed: overwrite in place
    const double xq = h * static_cast<double>(q);
    while (e.z[j + 1] < xq) ++j;
    const double dx = xq - e.x[j];
    f[q] = dx * dx + e.value[j];
  }
}

// First axis (contiguous, binary input): squared distance to the nearest feature on the same row by two scans —
// cheaper than the parabola envelope, which the other axes need.
void first_axis(const uint8_t* features, double* f, int64_t n, double h) {
  int64_t last = -1;
  for (int64_t q = 0; q < n; ++q) {
    if (features[q]) last = q;
    f[q] = last < 0 ? kInf : h * static_cast<double>(q - last);
  }
  last = -1;
  for (int64_t q = n - 1; q >= 0; --q) {
    if (features[q]) last = q;
    if (last >= 0) f[q] = std::min(f[q], h * static_cast<double>(last - q));
    f[q] = f[q] * f[q];
  }
}

}  // namespace

std::vector<double> squared_distance_to_features(const std::vector<uint8_t>& features, const Grid& g, int threads) {
  const int64_t nx = g.size[0], ny = g.size[1];
  std::vector<double> f(static_cast<size_t>(g.voxels()));
  const int64_t rows = g.voxels() / nx;
  parallel_for(rows, threads, [&](int64_t row) {
    first_axis(features.data() + row * nx, f.data() + row * nx, nx, g.spacing[0]);
  });
  const int64_t strides[3] = {1, nx, nx * ny};
  // Lines along y and z are strided in memory. They are processed in groups of kGroup neighbours along x: gathering
  // a group reads kGroup contiguous values per position (whole cache lines) instead of one value per cache line,
  // and the three passes of the envelope then run on a contiguous buffer per line.
  constexpr int64_t kGroup = 16;
  for (int axis = 1; axis < 3; ++axis) {
    const int64_t n = g.size[axis];
    if (n == 1) continue;
    const int a2 = axis == 2 ? 1 : 2;  // the other strided axis; lines are indexed by (x, that axis)
    const int64_t groups_x = (nx + kGroup - 1) / kGroup, n2 = g.size[a2];
    parallel_for(groups_x * n2, threads, [&](int64_t task) {
      thread_local Envelope envelope;
      thread_local std::vector<double> buf;
      envelope.resize(n);
      buf.resize(static_cast<size_t>(n * kGroup));
      const int64_t x0 = (task % groups_x) * kGroup, c2 = task / groups_x;
      const int64_t width = std::min(kGroup, nx - x0);
      double* start = f.data() + x0 + c2 * strides[a2];
      const int64_t stride = strides[axis];
      for (int64_t q = 0; q < n; ++q)
        for (int64_t i = 0; i < width; ++i) buf[i * n + q] = start[q * stride + i];
      for (int64_t i = 0; i < width; ++i) transform_line(buf.data() + i * n, n, g.spacing[axis], envelope);
      for (int64_t q = 0; q < n; ++q)
        for (int64_t i = 0; i < width; ++i) start[q * stride + i] = buf[i * n + q];
    });
  }
  return f;
}

std::vector<double> distance_to_features(const std::vector<uint8_t>& features, const Grid& g, int threads) {
  std::vector<double> f = squared_distance_to_features(features, g, threads);
  for (double& x : f) x = std::sqrt(x);
  return f;
}

}  // namespace diffseg::metrics

#include "diffseg/metrics/distance_transform.h"

#include <cmath>
#include <limits>

#include "diffseg/core/parallel.h"

namespace diffseg::metrics {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

// 1D squared distance transform of f (n samples spaced `h` apart): d[q] = min_p (h(q - p))^2 + f[p].
// v, z, d are scratch buffers of size n, n + 1, n.
void transform_line(double* f, int64_t n, int64_t stride, double h, std::vector<int64_t>& v, std::vector<double>& z,
                    std::vector<double>& d) {
  int64_t k = -1;
  for (int64_t q = 0; q < n; ++q) {
    const double fq = f[q * stride];
    if (fq == kInf) continue;
    const double xq = h * static_cast<double>(q);
    while (k >= 0) {
      const double xv = h * static_cast<double>(v[k]);
      // Intersection of the parabolas rooted at v[k] and q.
      const double s = ((fq + xq * xq) - (f[v[k] * stride] + xv * xv)) / (2.0 * (xq - xv));
      if (s > z[k]) {
        ++k;
        v[k] = q;
        z[k] = s;
        z[k + 1] = kInf;
        break;
      }
      --k;
    }
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -kInf;
      z[1] = kInf;
    }
  }
  if (k < 0) return;  // no finite sample on this line: stays +inf
  int64_t j = 0;
  for (int64_t q = 0; q < n; ++q) {
    const double xq = h * static_cast<double>(q);
    while (z[j + 1] < xq) ++j;
    const double dx = xq - h * static_cast<double>(v[j]);
    d[q] = dx * dx + f[v[j] * stride];
  }
  for (int64_t q = 0; q < n; ++q) f[q * stride] = d[q];
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

std::vector<double> distance_to_features(const std::vector<uint8_t>& features, const Grid& g, int threads) {
  const int64_t nx = g.size[0], ny = g.size[1];
  std::vector<double> f(static_cast<size_t>(g.voxels()));
  const int64_t rows = g.voxels() / nx;
  parallel_for(rows, threads, [&](int64_t row) {
    first_axis(features.data() + row * nx, f.data() + row * nx, nx, g.spacing[0]);
  });
  const int64_t strides[3] = {1, nx, nx * ny};
  for (int axis = 1; axis < 3; ++axis) {
    const int64_t n = g.size[axis];
    if (n == 1) continue;
    const int64_t lines = g.voxels() / n;
    // Lines along `axis` are indexed by the other two coordinates; each is copied to a contiguous buffer, so the
    // three passes of the envelope run on cache-friendly memory.
    const int a1 = 0, a2 = axis == 2 ? 1 : 2;
    const int64_t n1 = g.size[a1];
    parallel_for(lines, threads, [&](int64_t line) {
      thread_local std::vector<int64_t> v;
      thread_local std::vector<double> z, d, buf;
      v.resize(static_cast<size_t>(n));
      z.resize(static_cast<size_t>(n + 1));
      d.resize(static_cast<size_t>(n));
      buf.resize(static_cast<size_t>(n));
      const int64_t c1 = line % n1, c2 = line / n1;
      double* start = f.data() + c1 * strides[a1] + c2 * strides[a2];
      const int64_t stride = strides[axis];
      for (int64_t q = 0; q < n; ++q) buf[q] = start[q * stride];
      transform_line(buf.data(), n, 1, g.spacing[axis], v, z, d);
      for (int64_t q = 0; q < n; ++q) start[q * stride] = buf[q];
    });
  }
  for (double& x : f) x = std::sqrt(x);
  return f;
}

}  // namespace diffseg::metrics

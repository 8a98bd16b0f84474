#include "diffseg/io/geometry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace diffseg::io {

Affine Geometry::affine() const {
  Affine a{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) a[r][c] = direction[r][c] * spacing[c];
    a[r][3] = origin[r];
  }
  a[3] = {0.0, 0.0, 0.0, 1.0};
  return a;
}

Geometry Geometry::from_affine(const Affine& a) {
  Geometry g;
  for (int c = 0; c < 3; ++c) {
    const double norm = std::sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
    // A zero column (e.g. a 2D file with pixdim[3] = 0) gets unit spacing along the matching world axis.
    g.spacing[c] = norm > 0 ? norm : 1.0;
    for (int r = 0; r < 3; ++r) g.direction[r][c] = norm > 0 ? a[r][c] / norm : (r == c ? 1.0 : 0.0);
  }
  for (int r = 0; r < 3; ++r) g.origin[r] = a[r][3];
  return g;
}

bool Geometry::approx_equal(const Geometry& other, double tolerance) const {
  const Affine a = affine(), b = other.affine();
  const double scale = std::max({1.0, spacing[0], spacing[1], spacing[2]});
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c)
      if (std::abs(a[r][c] - b[r][c]) > tolerance * scale) return false;
    if (std::abs(a[r][3] - b[r][3]) > tolerance * std::max(1.0, std::abs(a[r][3]))) return false;
  }
  return true;
}

std::string format_affine(const Affine& a) {
  std::string out;
  char buf[128];
  for (int r = 0; r < 4; ++r) {
    std::snprintf(buf, sizeof buf, "[%12.6g %12.6g %12.6g %12.6g]", a[r][0], a[r][1], a[r][2], a[r][3]);
    out += buf;
    if (r < 3) out += '\n';
  }
  return out;
}

std::string Geometry::describe() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "spacing (%g, %g, %g), origin (%g, %g, %g)", spacing[0], spacing[1], spacing[2],
                origin[0], origin[1], origin[2]);
  return buf;
}

}  // namespace diffseg::io

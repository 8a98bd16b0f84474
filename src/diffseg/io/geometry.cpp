#include "diffseg/io/geometry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

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

double linear_determinant(const Affine& a) {
  return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
         a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

Affine inverse_affine(const Affine& a) {
  const double det = linear_determinant(a);
  if (!(std::abs(det) > 0)) throw std::invalid_argument("inverse_affine: singular affine");
  const double m00 = a[0][0], m01 = a[0][1], m02 = a[0][2], m10 = a[1][0], m11 = a[1][1], m12 = a[1][2],
               m20 = a[2][0], m21 = a[2][1], m22 = a[2][2];
  Affine r{};
  r[0] = {(m11 * m22 - m12 * m21) / det, (m02 * m21 - m01 * m22) / det, (m01 * m12 - m02 * m11) / det, 0};
  r[1] = {(m12 * m20 - m10 * m22) / det, (m00 * m22 - m02 * m20) / det, (m02 * m10 - m00 * m12) / det, 0};
  r[2] = {(m10 * m21 - m11 * m20) / det, (m01 * m20 - m00 * m21) / det, (m00 * m11 - m01 * m10) / det, 0};
  for (int i = 0; i < 3; ++i) r[i][3] = -(r[i][0] * a[0][3] + r[i][1] * a[1][3] + r[i][2] * a[2][3]);
  r[3] = {0, 0, 0, 1};
  return r;
}

}  // namespace diffseg::io

#pragma once
#include <cmath>

#include "diffseg/io/image.h"

namespace diffseg::test {

// An image whose voxel i holds a distinct value derived from i (wrapped to the dtype's range), with a rotated,
// shifted, anisotropic geometry, so that any axis swap, flip or geometry loss shows up.
inline io::Image make_pattern_image(io::Size size, int spatial_dims, io::DType dtype) {
  io::Geometry g;
  g.spacing = {0.75, 1.25, spatial_dims == 3 ? 2.5 : 1.0};
  g.origin = {-12.5, 30.25, 7.0};
  const double a = 0.3;  // rotation about z
  g.direction = {{{std::cos(a), -std::sin(a), 0.0}, {std::sin(a), std::cos(a), 0.0}, {0.0, 0.0, 1.0}}};
  io::Image im(size, spatial_dims, dtype, g);
  io::visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = im.data<T>();
    for (int64_t i = 0; i < size.elements(); ++i) {
      if constexpr (std::is_floating_point_v<T>)
        p[i] = static_cast<T>(std::sin(0.37 * static_cast<double>(i)) * 1000.0 + 0.125);
      else
        p[i] = static_cast<T>((i * 37) % 251);
    }
  });
  return im;
}

inline ::testing::AssertionResult same_voxels(const io::Image& a, const io::Image& b) {
  if (!(a.size() == b.size())) return ::testing::AssertionFailure() << "sizes differ";
  if (a.dtype() != b.dtype())
    return ::testing::AssertionFailure() << "dtypes differ: " << io::dtype_name(a.dtype()) << " vs "
                                         << io::dtype_name(b.dtype());
  for (int64_t i = 0; i < a.size().elements(); ++i)
    if (a.value(i) != b.value(i))
      return ::testing::AssertionFailure() << "voxel " << i << ": " << a.value(i) << " vs " << b.value(i);
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult same_affine(const io::Geometry& a, const io::Geometry& b, double tol) {
  const auto x = a.affine(), y = b.affine();
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      if (std::abs(x[r][c] - y[r][c]) > tol)
        return ::testing::AssertionFailure() << "affine[" << r << "][" << c << "] " << x[r][c] << " vs " << y[r][c];
  return ::testing::AssertionSuccess();
}

}  // namespace diffseg::test

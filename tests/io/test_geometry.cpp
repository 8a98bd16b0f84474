#include "diffseg/io/geometry.h"

#include <cmath>

#include <gtest/gtest.h>

using diffseg::io::Affine;
using diffseg::io::Geometry;

TEST(Geometry, AffineIsDirectionTimesSpacingPlusOrigin) {
  Geometry g;
  g.spacing = {0.5, 2.0, 3.0};
  g.origin = {1, 2, 3};
  g.direction = {{{0, -1, 0}, {1, 0, 0}, {0, 0, -1}}};
  const Affine a = g.affine();
  EXPECT_DOUBLE_EQ(a[0][1], -2.0);  // world x moves -2 mm per voxel step along j
  EXPECT_DOUBLE_EQ(a[1][0], 0.5);
  EXPECT_DOUBLE_EQ(a[2][2], -3.0);
  EXPECT_DOUBLE_EQ(a[0][3], 1.0);
  EXPECT_DOUBLE_EQ(a[3][3], 1.0);
}

TEST(Geometry, FromAffineRecoversSpacingDirectionOrigin) {
  Geometry g;
  const double t = 0.7;
  g.spacing = {0.8, 0.8, 2.5};
  g.origin = {-100, 50, 12};
  g.direction = {{{std::cos(t), 0, -std::sin(t)}, {0, 1, 0}, {std::sin(t), 0, std::cos(t)}}};
  const Geometry back = Geometry::from_affine(g.affine());
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(back.spacing[i], g.spacing[i], 1e-12);
    EXPECT_NEAR(back.origin[i], g.origin[i], 1e-12);
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(back.direction[i][j], g.direction[i][j], 1e-12);
  }
  EXPECT_TRUE(back.approx_equal(g));
}

TEST(Geometry, ApproxEqualDetectsShiftAndSpacingChange) {
  Geometry a, b;
  EXPECT_TRUE(a.approx_equal(b));
  b.origin[2] = 0.5;
  EXPECT_FALSE(a.approx_equal(b));
  b = a;
  b.spacing[0] = 1.01;
  EXPECT_FALSE(a.approx_equal(b));
}

// Offline preprocessing: every step must keep each voxel's world position (the geometry) while changing the grid.
#include "diffseg/data/preprocess.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "diffseg/data/crop_pad.h"
#include "diffseg/data/intensity.h"
#include "diffseg/data/reorient.h"
#include "diffseg/data/resample.h"
#include "diffseg/data/tensor_image.h"

using namespace diffseg;
using namespace diffseg::data;

namespace {
io::Geometry oblique_geometry(std::array<double, 3> spacing) {
  io::Geometry g;
  g.spacing = spacing;
  g.origin = {-20.0, 11.5, 3.25};
  const double a = 0.2;
  g.direction = {{{std::cos(a), -std::sin(a), 0.0}, {std::sin(a), std::cos(a), 0.0}, {0.0, 0.0, 1.0}}};
  return g;
}

std::array<double, 3> world(const io::Geometry& g, double i, double j, double k) {
  const auto a = g.affine();
  std::array<double, 3> w{};
  for (int r = 0; r < 3; ++r) w[r] = a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3];
  return w;
}

template <class F>
io::Image filled(io::Size size, io::DType dtype, const io::Geometry& g, F value_at) {
  io::Image im(size, 3, dtype, g);
  for (int64_t z = 0; z < size.z; ++z)
    for (int64_t y = 0; y < size.y; ++y)
      for (int64_t x = 0; x < size.x; ++x) {
        const int64_t i = (z * size.y + y) * size.x + x;
        const double v = value_at(world(g, x, y, z));
        if (dtype == io::DType::uint8) im.data<uint8_t>()[i] = static_cast<uint8_t>(v);
        else im.data<float>()[i] = static_cast<float>(v);
      }
  return im;
}

double label_volume_mm3(const io::Image& label, int value) {
  int64_t n = 0;
  for (int64_t i = 0; i < label.size().voxels(); ++i) n += label.value(i) == value;
  const auto& s = label.geometry().spacing;
  return static_cast<double>(n) * s[0] * s[1] * s[2];
}
}  // namespace

// A linear function of world position is reproduced exactly by linear resampling: checks the coordinate mapping.
TEST(Resample, LinearRampOfWorldPositionIsExact) {
  const io::Geometry g = oblique_geometry({1.0, 1.5, 2.5});
  auto ramp = [](const std::array<double, 3>& w) { return 0.5 * w[0] - 0.25 * w[1] + 0.75 * w[2]; };
  const io::Image image = filled({20, 16, 10, 1}, io::DType::float32, g, ramp);
  const io::Image out = resample(image, {0.7, 1.1, 1.3}, Interpolation::linear);
  EXPECT_EQ(out.size().x, std::llround(20 * 1.0 / 0.7));
  EXPECT_EQ(out.size().y, std::llround(16 * 1.5 / 1.1));
  EXPECT_EQ(out.size().z, std::llround(10 * 2.5 / 1.3));
  EXPECT_EQ(out.geometry().origin, g.origin);
  EXPECT_EQ(out.geometry().direction, g.direction);
  EXPECT_EQ(out.geometry().spacing, (std::array<double, 3>{0.7, 1.1, 1.3}));
  // Inside the input's extent (before the border clamp starts) every output voxel equals the ramp at its position.
  int checked = 0;
  for (int64_t z = 0; z < out.size().z; ++z)
    for (int64_t y = 0; y < out.size().y; ++y)
      for (int64_t x = 0; x < out.size().x; ++x) {
        if (x * 0.7 > 19 || y * 1.1 > 15 * 1.5 || z * 1.3 > 9 * 2.5) continue;
        const int64_t i = (z * out.size().y + y) * out.size().x + x;
        ASSERT_NEAR(out.value(i), ramp(world(out.geometry(), x, y, z)), 1e-3) << x << "," << y << "," << z;
        ++checked;
      }
  EXPECT_GT(checked, 1000);
}

// resample_onto between two unrelated grids (other rotation, spacing, origin, axes flipped): a linear function of
// world position is reproduced at every target voxel inside the source, and zeros come back outside it.
TEST(Resample, OntoAnotherGridFollowsWorldPositionAndZerosOutside) {
  const io::Geometry from = oblique_geometry({1.0, 1.5, 2.5});
  auto ramp = [](const std::array<double, 3>& w) { return 10.0 + 0.5 * w[0] - 0.25 * w[1] + 0.75 * w[2]; };
  const io::Image image = filled({20, 16, 10, 1}, io::DType::float32, from, ramp);
  io::Geometry to;
  to.spacing = {0.9, 1.2, 2.0};
  const double b = -0.5;  // another rotation, x axis reversed (an LPS-like flip)
  to.direction = {{{-std::cos(b), -std::sin(b), 0.0}, {-std::sin(b), std::cos(b), 0.0}, {0.0, 0.0, 1.0}}};
  to.origin = world(from, 14, 2, 1);
  const std::array<int64_t, 3> size{24, 18, 12};
  const at::Tensor out = resample_onto(to_tensor(image), from, 3, to, size, Interpolation::linear, Outside::zeros);
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{1, 12, 18, 24}));
  // Source index of a world point: solve with the source affine (3x3 inverse by Cramer's rule, written out here
  // independently of the library's).
  const auto a = from.affine();
  auto source_index = [&](const std::array<double, 3>& w) {
    const double d[3] = {w[0] - a[0][3], w[1] - a[1][3], w[2] - a[2][3]};
    auto det3 = [](double m[3][3]) {
      return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
             m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    };
    double m[3][3];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) m[r][c] = a[r][c];
    const double det = det3(m);
    std::array<double, 3> idx{};
    for (int c = 0; c < 3; ++c) {
      double mc[3][3];
      for (int r = 0; r < 3; ++r)
        for (int q = 0; q < 3; ++q) mc[r][q] = q == c ? d[r] : m[r][q];
      idx[c] = det3(mc) / det;
    }
    return idx;
  };
  int inside = 0, outside = 0;
  for (int64_t z = 0; z < size[2]; ++z)
    for (int64_t y = 0; y < size[1]; ++y)
      for (int64_t x = 0; x < size[0]; ++x) {
        const auto w = world(to, x, y, z);
        const auto s = source_index(w);
        const double v = out[0][z][y][x].item<double>();
        const bool in = s[0] >= 0 && s[0] <= 19 && s[1] >= 0 && s[1] <= 15 && s[2] >= 0 && s[2] <= 9;
        const bool far_out = s[0] < -1 || s[0] > 20 || s[1] < -1 || s[1] > 16 || s[2] < -1 || s[2] > 10;
        if (in) {
          ASSERT_NEAR(v, ramp(w), 1e-3) << x << "," << y << "," << z;
          ++inside;
        } else if (far_out) {
          ASSERT_EQ(v, 0.0) << x << "," << y << "," << z;
          ++outside;
        }
      }
  EXPECT_GT(inside, 500);
  EXPECT_GT(outside, 500);
}

// The recipe a dataset records (dataset.json's "preprocessing") reads back as the same options.
TEST(Preprocess, RecipeSurvivesItsJsonForm) {
  PreprocessOptions o;
  o.reorient = true;
  o.spacing_xyz = std::array<double, 3>{1.5, 1.5, 5.0};
  o.intensity = {IntensityOptions::Mode::window, -991, 362};
  o.crop_lower_xyz = Index3{37, 10, 0};
  o.crop_upper_xyz = Index3{24, 11, 0};
  o.shape_xyz = Index3{192, 128, 128};
  const PreprocessOptions back = PreprocessOptions::from_yaml(YAML::Load(o.to_json()));
  EXPECT_EQ(back.describe(), o.describe());
  EXPECT_EQ(back.spacing_xyz, o.spacing_xyz);
  EXPECT_EQ(back.crop_lower_xyz, o.crop_lower_xyz);
  EXPECT_EQ(back.crop_upper_xyz, o.crop_upper_xyz);
  EXPECT_EQ(back.shape_xyz, o.shape_xyz);
  EXPECT_TRUE(back.reorient);
  EXPECT_EQ(back.intensity.mode, IntensityOptions::Mode::window);
  EXPECT_EQ(back.intensity.low, -991);
  EXPECT_EQ(back.intensity.high, 362);
  const PreprocessOptions none = PreprocessOptions::from_yaml(YAML::Load(PreprocessOptions{}.to_json()));
  EXPECT_EQ(none.describe(), "none");
}

// Label maps resampled to a finer grid and back keep their volume (in mm³) and only their own values.
TEST(Resample, LabelRoundTripKeepsVolumeAndValues) {
  const io::Geometry g = oblique_geometry({1.0, 1.0, 2.5});
  const auto centre = world(g, 15, 14, 8);
  auto two_balls = [&](const std::array<double, 3>& w) {
    const double d = std::hypot(w[0] - centre[0], w[1] - centre[1], w[2] - centre[2]);
    return d < 6 ? 3.0 : d < 11 ? 1.0 : 0.0;
  };
  const io::Image label = filled({30, 28, 16, 1}, io::DType::uint8, g, two_balls);
  const io::Image fine = resample(label, {0.6, 0.8, 1.5}, Interpolation::nearest);
  EXPECT_EQ(fine.dtype(), io::DType::uint8);
  std::set<double> values;
  for (int64_t i = 0; i < fine.size().voxels(); ++i) values.insert(fine.value(i));
  EXPECT_EQ(values, (std::set<double>{0, 1, 3}));
  const io::Image back = resample(fine, g.spacing, Interpolation::nearest);
  ASSERT_EQ(back.size(), label.size());
  EXPECT_EQ(back.geometry().spacing, g.spacing);
  for (int v : {1, 3}) {
    const double before = label_volume_mm3(label, v);
    EXPECT_NEAR(label_volume_mm3(fine, v), before, 0.06 * before) << "class " << v;
    EXPECT_NEAR(label_volume_mm3(back, v), before, 0.06 * before) << "class " << v;
  }
}

// Permuted and flipped axes come back to RAS+ with every voxel at the same world position.
TEST(Reorient, PermutedFlippedVolumeBecomesCanonicalWithoutMovingVoxels) {
  io::Geometry g;
  g.spacing = {0.8, 1.2, 3.0};
  g.origin = {5.0, -7.0, 2.0};
  // voxel x → world -y, voxel y → world +z, voxel z → world -x
  g.direction = {{{0, 0, -1}, {-1, 0, 0}, {0, 1, 0}}};
  const io::Size size{5, 4, 3, 2};
  io::Image image(size, 3, io::DType::float32, g);
  for (int64_t i = 0; i < size.elements(); ++i) image.data<float>()[i] = static_cast<float>(i);

  const AxisMapping m = canonical_axis_mapping(g);
  EXPECT_EQ(m.source_axis, (std::array<int, 3>{2, 0, 1}));
  EXPECT_EQ(m.flipped, (std::array<bool, 3>{true, true, false}));

  const io::Image out = reorient_to_canonical(image);
  EXPECT_EQ(out.size().x, 3);
  EXPECT_EQ(out.size().y, 5);
  EXPECT_EQ(out.size().z, 4);
  EXPECT_EQ(out.size().channels, 2);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(out.geometry().direction[r][c], r == c ? 1.0 : 0.0);
  EXPECT_EQ(out.geometry().spacing, (std::array<double, 3>{3.0, 0.8, 1.2}));
  // Every value sits at the same world position before and after.
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t z = 0; z < out.size().z; ++z)
      for (int64_t y = 0; y < out.size().y; ++y)
        for (int64_t x = 0; x < out.size().x; ++x) {
          const int64_t flat = ((c * out.size().z + z) * out.size().y + y) * out.size().x + x;
          const auto v = static_cast<int64_t>(out.value(flat));
          const int64_t within = v % size.voxels();
          ASSERT_EQ(v / size.voxels(), c);
          const int64_t ix = within % 5, iy = (within / 5) % 4, iz = within / 20;
          const auto before = world(g, ix, iy, iz), after = world(out.geometry(), x, y, z);
          for (int r = 0; r < 3; ++r) ASSERT_NEAR(before[r], after[r], 1e-9);
        }
  // A canonical volume is left alone.
  const io::Image again = reorient_to_canonical(out);
  EXPECT_EQ(again.geometry().origin, out.geometry().origin);
}

TEST(CropPad, RegionKeepsWorldPositionsAndFillsOutside) {
  const io::Geometry g = oblique_geometry({1.0, 2.0, 3.0});
  const io::Image image = filled({6, 5, 4, 1}, io::DType::float32, g,
                                 [](const std::array<double, 3>& w) { return 100 + w[0] + 10 * w[1] + 100 * w[2]; });
  const io::Image out = extract_region(image, {-2, 1, 0}, {9, 3, 6}, -1.0);
  EXPECT_EQ(out.size(), (io::Size{9, 3, 6, 1}));
  for (int64_t z = 0; z < 6; ++z)
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t x = 0; x < 9; ++x) {
        const int64_t sx = x - 2, sy = y + 1, sz = z;
        const double v = out.value((z * 3 + y) * 9 + x);
        if (sx < 0 || sx >= 6 || sz >= 4) {
          ASSERT_EQ(v, -1.0);
        } else {
          const auto w = world(out.geometry(), x, y, z);
          ASSERT_NEAR(v, 100 + w[0] + 10 * w[1] + 100 * w[2], 1e-3);
          ASSERT_EQ(v, image.value((sz * 5 + sy) * 6 + sx));
        }
      }
}

TEST(CropPad, WindowIsCentredOnTheForegroundAndStaysInside) {
  io::Image label({40, 30, 8, 1}, 3, io::DType::uint8);
  auto set = [&](int64_t x, int64_t y, int64_t z) { label.data<uint8_t>()[(z * 30 + y) * 40 + x] = 2; };
  set(30, 4, 3);
  set(34, 10, 5);
  const BoundingBox box = foreground_box(label);
  EXPECT_EQ(box.min, (Index3{30, 4, 3}));
  EXPECT_EQ(box.max, (Index3{34, 10, 5}));
  // x: centre 32, window 11 → 27, inside; y: centre 7, window 20 → clamp to 0; z: image 8 < 13 → pad 2 before.
  EXPECT_EQ(window_start({40, 30, 8}, 3, box, {11, 20, 13}), (Index3{27, 0, -2}));
  // x: centre 32, window 16 → 24.5 rounds to 25, shifted to fit 40 → 24
  EXPECT_EQ(window_start({40, 30, 8}, 3, box, {16, 20, 8}), (Index3{24, 0, 0}));
  EXPECT_EQ(window_start({40, 30, 8}, 3, BoundingBox{}, {20, 10, 8}), (Index3{10, 10, 0}));
}

TEST(Intensity, PercentileMatchesNumpysLinearInterpolation) {
  io::Image im({101, 1, 1, 1}, 3, io::DType::float32);
  for (int i = 0; i <= 100; ++i) im.data<float>()[i] = static_cast<float>((i * 37) % 101);  // 0..100 shuffled
  EXPECT_NEAR(percentile(im, 0.95), 0.95, 1e-9);
  EXPECT_NEAR(percentile(im, 99.5), 99.5, 1e-9);
  io::Image small({4, 1, 1, 1}, 3, io::DType::float32);
  const float v[4] = {10, 0, 30, 20};
  std::copy(v, v + 4, small.data<float>());
  EXPECT_NEAR(percentile(small, 50), 15.0, 1e-9);  // numpy.percentile([0, 10, 20, 30], 50)
  EXPECT_NEAR(percentile(small, 10), 3.0, 1e-9);   // position 0.3 between 0 and 10
}

TEST(Intensity, WindowAndPercentileRescaleToUnitRange) {
  io::Image ct({4, 1, 1, 1}, 3, io::DType::int16);
  const int16_t hu[4] = {-1024, -991, 0, 2000};
  std::copy(hu, hu + 4, ct.data<int16_t>());
  const io::Image w = clip_and_rescale(ct, -991, 362);
  EXPECT_EQ(w.dtype(), io::DType::float32);
  EXPECT_FLOAT_EQ(w.data<float>()[0], 0.0f);
  EXPECT_FLOAT_EQ(w.data<float>()[1], 0.0f);
  EXPECT_NEAR(w.data<float>()[2], 991.0 / 1353.0, 1e-6);
  EXPECT_FLOAT_EQ(w.data<float>()[3], 1.0f);

  io::Image two({101, 1, 1, 2}, 3, io::DType::float32);  // channel 1 = 10 × channel 0
  for (int i = 0; i <= 100; ++i) two.data<float>()[i] = static_cast<float>(i), two.data<float>()[101 + i] = 10.f * i;
  const io::Image p = percentile_clip_and_rescale(two, 1.0, 99.0);
  for (int i = 0; i <= 100; ++i) {
    const double expected = std::clamp((i - 1.0) / 98.0, 0.0, 1.0);
    ASSERT_NEAR(p.data<float>()[i], expected, 1e-6);
    ASSERT_NEAR(p.data<float>()[101 + i], expected, 1e-6);  // each channel has its own range
  }
}

TEST(Preprocess, ConfiguredPipelineGivesTheShapeSpacingAndLabelSet) {
  Config config;
  config.set("preprocess.reorient=true");
  config.set("preprocess.spacing_xyz=[1.5, 1.5, 5.0]");
  config.set("preprocess.intensity={mode: window, low: -991, high: 362}");
  config.set("preprocess.shape_xyz=[24, 20, 6]");
  const PreprocessOptions o = PreprocessOptions::from_config(config);
  EXPECT_NE(o.describe().find("spacing (1.5, 1.5, 5) mm"), std::string::npos);

  io::Geometry g;
  g.spacing = {1.0, 1.0, 2.5};
  g.direction = {{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}};  // LPS-like, as DICOM converters write
  io::Case c;
  c.id = "ct";
  c.image = filled({40, 36, 20, 1}, io::DType::float32, g, [](const auto& w) { return 10 * w[0] - 500; });
  c.label = filled({40, 36, 20, 1}, io::DType::uint8, g,
                   [](const auto& w) { return std::abs(w[0] + 30) < 4 && std::abs(w[1] + 20) < 5 ? 7.0 : 0.0; });
  const io::Case out = preprocess_case(c, o);
  EXPECT_EQ(out.image.size(), (io::Size{24, 20, 6, 1}));
  EXPECT_EQ(out.label.size(), (io::Size{24, 20, 6, 1}));
  EXPECT_EQ(out.image.geometry().spacing, (std::array<double, 3>{1.5, 1.5, 5.0}));
  EXPECT_TRUE(out.image.geometry().approx_equal(out.label.geometry()));
  EXPECT_GT(out.image.geometry().direction[0][0], 0.99);
  double lo = 1e9, hi = -1e9, label_voxels = 0;
  for (int64_t i = 0; i < out.image.size().voxels(); ++i) {
    lo = std::min(lo, out.image.value(i)), hi = std::max(hi, out.image.value(i));
    const double v = out.label.value(i);
    ASSERT_TRUE(v == 0 || v == 7);
    label_voxels += v == 7;
  }
  EXPECT_GE(lo, 0.0);
  EXPECT_LE(hi, 1.0);
  EXPECT_GT(label_voxels, 0);  // the window was placed around the structure
}

#include "diffseg/io/png.h"

#include <gtest/gtest.h>

#include "diffseg/core/error.h"
#include "diffseg/io/image_stats.h"
#include "io/io_test_util.h"
#include "test_util.h"

using namespace diffseg::io;
using diffseg::test::TempDir;

TEST(Png, RoundTrip8And16Bit) {
  TempDir dir;
  for (DType dtype : {DType::uint8, DType::uint16}) {
    Image im = diffseg::test::make_pattern_image(Size{9, 7, 1, 1}, 2, dtype);
    if (dtype == DType::uint16) im.data<uint16_t>()[5] = 60000;  // exercise the high byte
    im.set_geometry(Geometry{});
    const auto p = dir / ("im" + std::string(dtype_name(dtype)) + ".png");
    write_png(p, im);
    const Image back = read_png(p);
    EXPECT_TRUE(diffseg::test::same_voxels(back, im));
    EXPECT_EQ(back.spatial_dims(), 2);
  }
}

TEST(Png, IntegerLabelMapsOfOtherTypesAreWritten) {
  TempDir dir;
  Image im(Size{4, 4, 1, 1}, 2, DType::int32);
  im.data<int32_t>()[3] = 2;
  write_png(dir / "l.png", im);
  const Image back = read_png(dir / "l.png");
  EXPECT_EQ(back.dtype(), DType::uint8);
  EXPECT_EQ(back.value(3), 2.0);
  Image bad(Size{2, 2, 1, 1}, 2, DType::float32);
  bad.data<float>()[0] = 0.5f;
  EXPECT_THROW(write_png(dir / "bad.png", bad), diffseg::UsageError);
}

// A PNG has no spacing or origin: writing a resampled or shifted image as PNG would silently change where its pixels
// are, so it is refused and no file is left behind.
TEST(Png, GeometryAPngCannotHoldIsRefusedNotDropped) {
  TempDir dir;
  Image im(Size{4, 3, 1, 1}, 2, DType::uint8);
  Geometry resampled;
  resampled.spacing = {4.0, 4.0, 1.0};
  Geometry shifted;
  shifted.origin = {64.0, 0.0, 0.0};
  for (const Geometry& g : {resampled, shifted}) {
    im.set_geometry(g);
    EXPECT_FALSE(png_holds_geometry(g));
    EXPECT_THROW(write_png(dir / "label.png", im), diffseg::UsageError);
    EXPECT_FALSE(std::filesystem::exists(dir / "label.png"));
  }
  im.set_geometry(Geometry{});
  EXPECT_TRUE(png_holds_geometry(Geometry{}));
  write_png(dir / "label.png", im);
  EXPECT_TRUE(std::filesystem::exists(dir / "label.png"));
}

// The shared sample: 512 wide x 480 high greyscale ultrasound image, and its RGBA 0/255 mask (21.9 % foreground).
TEST(Png, ReadsSharedMuscleUltrasoundSample) {
  const std::string root = std::string(DIFFSEG_FIXTURES_DIR) + "/muscle_us";
  const Image image = read_png(root + "/BB_anon_348_1.png");
  EXPECT_EQ(image.size().x, 512);
  EXPECT_EQ(image.size().y, 480);
  EXPECT_EQ(image.dtype(), DType::uint8);
  const ImageStats st = compute_stats(image);
  EXPECT_EQ(st.min, 0);
  EXPECT_EQ(st.max, 253);

  const Image mask = read_png(root + "/BB_anon_348_1_mask.png");  // RGBA on disk
  EXPECT_EQ(mask.size().channels, 1);
  const ImageStats ms = compute_stats(mask);
  ASSERT_EQ(ms.value_counts.size(), 2u);
  const double fg = static_cast<double>(ms.value_counts.at(255)) / static_cast<double>(mask.size().elements());
  EXPECT_NEAR(fg, 0.219, 0.0005);
}

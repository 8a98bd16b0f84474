#include "diffseg/io/case_loader.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "diffseg/io/image_file.h"
#include "diffseg/io/image_stats.h"
#include "io/error_matchers.h"
#include "io/io_test_util.h"
#include "test_util.h"

using namespace diffseg::io;
using diffseg::test::TempDir;
namespace fs = std::filesystem;

namespace {

// A valid two-channel case with a 3-class label on the same grid; tests break one thing at a time.
struct CaseFiles {
  Dataset dataset;
  DatasetEntry entry;
  Image image, label;
};

CaseFiles make_case(const TempDir& dir) {
  CaseFiles c;
  c.image = diffseg::test::make_pattern_image(Size{8, 6, 4, 1}, 3, DType::float32);
  c.label = Image(Size{8, 6, 4, 1}, 3, DType::uint8, c.image.geometry());
  for (int64_t i = 0; i < c.label.size().elements(); ++i) c.label.data<uint8_t>()[i] = static_cast<uint8_t>(i % 3);
  write_image(dir / "t1.nii.gz", c.image);
  write_image(dir / "t2.nii.gz", c.image);
  write_image(dir / "seg.nii.gz", c.label);
  c.dataset.root = dir.path();
  c.dataset.labels = {{0, "bg"}, {1, "a"}, {2, "b"}};
  c.dataset.modalities = {"t1", "t2"};
  c.entry = {"t1", {dir / "t1.nii.gz", dir / "t2.nii.gz"}, dir / "seg.nii.gz"};
  return c;
}

}  // namespace

TEST(CaseLoader, LoadsChannelsAndLabel) {
  TempDir dir;
  const CaseFiles c = make_case(dir);
  const Case loaded = load_case(c.dataset, c.entry);
  EXPECT_EQ(loaded.image.size().channels, 2);
  EXPECT_EQ(loaded.image.dtype(), DType::float32);
  EXPECT_EQ(loaded.label.dtype(), DType::uint8);
  EXPECT_TRUE(diffseg::test::same_voxels(loaded.image.channel(1), c.image));
  EXPECT_TRUE(diffseg::test::same_voxels(loaded.label, c.label));
  EXPECT_TRUE(loaded.label.geometry().approx_equal(c.image.geometry()));
}

TEST(CaseLoader, LabelShapeMismatch) {
  TempDir dir;
  const CaseFiles c = make_case(dir);
  write_image(dir / "seg.nii.gz", Image(Size{8, 6, 5, 1}, 3, DType::uint8, c.image.geometry()));
  EXPECT_INPUT_ERROR(load_case(c.dataset, c.entry), "seg.nii.gz", "differs from image shape");
}

TEST(CaseLoader, LabelAffineMismatch) {
  TempDir dir;
  const CaseFiles c = make_case(dir);
  Geometry shifted = c.image.geometry();
  shifted.origin[0] += 3.0;
  Image moved = c.label;
  moved.set_geometry(shifted);
  write_image(dir / "seg.nii.gz", moved);
  EXPECT_INPUT_ERROR(load_case(c.dataset, c.entry), "seg.nii.gz", "label geometry");
}

TEST(CaseLoader, ChannelShapeAndGeometryMismatch) {
  TempDir dir;
  const CaseFiles c = make_case(dir);
  write_image(dir / "t2.nii.gz", diffseg::test::make_pattern_image(Size{8, 6, 3, 1}, 3, DType::float32));
  EXPECT_INPUT_ERROR(load_case(c.dataset, c.entry), "t2.nii.gz", "differs from");
  Image other = c.image;
  Geometry g = other.geometry();
  g.spacing[2] = 3.0;
  other.set_geometry(g);
  write_image(dir / "t2.nii.gz", other);
  EXPECT_INPUT_ERROR(load_case(c.dataset, c.entry), "t2.nii.gz", "geometry");
}

TEST(CaseLoader, NanIntensities) {
  TempDir dir;
  const CaseFiles c = make_case(dir);
  Image bad = c.image;
  bad.data<float>()[5] = std::numeric_limits<float>::quiet_NaN();
  bad.data<float>()[9] = std::numeric_limits<float>::infinity();
  write_image(dir / "t2.nii.gz", bad);
  EXPECT_INPUT_ERROR(load_case(c.dataset, c.entry), "t2.nii.gz", "2 NaN/Inf intensities");
}

TEST(CaseLoader, LabelValuesOutsideClasses) {
  TempDir dir;
  const CaseFiles c = make_case(dir);
  Image bad = c.label;
  bad.data<uint8_t>()[0] = 7;
  write_image(dir / "seg.nii.gz", bad);
  EXPECT_INPUT_ERROR(load_case(c.dataset, c.entry), "seg.nii.gz", "outside the dataset's classes 0..2: 7");
}

TEST(CaseLoader, FractionalLabelValues) {
  TempDir dir;
  const CaseFiles c = make_case(dir);
  Image bad = c.label.cast(DType::float32);
  bad.data<float>()[3] = 1.5f;
  write_image(dir / "seg.nii.gz", bad);
  EXPECT_INPUT_ERROR(load_case(c.dataset, c.entry), "seg.nii.gz", "whole numbers");
}

TEST(CaseLoader, ChannelCountMustMatchModalities) {
  TempDir dir;
  CaseFiles c = make_case(dir);
  c.entry.images.pop_back();
  EXPECT_INPUT_ERROR(load_case(c.dataset, c.entry), "t1.nii.gz", "lists 2 modalities");
}

// The muscle-ultrasound masks are 0/255 PNGs (the example is even RGBA): they are classes {0, 1}.
TEST(CaseLoader, BinaryPngMaskBecomesZeroOne) {
  const std::string mask = std::string(DIFFSEG_FIXTURES_DIR) + "/muscle_us/BB_anon_348_1_mask.png";
  const Image label = read_label_map(mask, 2);
  const ImageStats st = compute_stats(label);
  ASSERT_EQ(st.value_counts.size(), 2u);
  EXPECT_EQ(st.value_counts.count(1), 1u);
  EXPECT_NEAR(static_cast<double>(st.value_counts.at(1)) / static_cast<double>(label.size().elements()), 0.219, 5e-4);
  // {0, 2, 255} is not a binary mask, so 255 stays 255 and is outside the classes.
  TempDir dir;
  Image three(Size{4, 4, 1, 1}, 2, DType::uint8);
  three.data<uint8_t>()[0] = 2;
  three.data<uint8_t>()[1] = 255;
  write_image(dir / "m.png", three);
  EXPECT_INPUT_ERROR(read_label_map(dir / "m.png", 3), "m.png", "outside the dataset's classes 0..2: 255");
}

#include "diffseg/io/nifti.h"

#include <fstream>

#include <gtest/gtest.h>

#include "diffseg/core/error.h"
#include "diffseg/io/image_file.h"
#include "io/io_test_util.h"
#include "test_util.h"

using namespace diffseg::io;
using diffseg::test::TempDir;
namespace fs = std::filesystem;

namespace {
const DType kAllTypes[] = {DType::uint8, DType::int16, DType::uint16, DType::int32, DType::float32, DType::float64};
}

// Every supported dtype × NIfTI-1/-2 × plain/gzip × 2D/3D/4D survives write → read unchanged.
TEST(Nifti, RoundTripEveryTypeVersionAndCompression) {
  TempDir dir;
  for (DType dtype : kAllTypes)
    for (int version : {1, 2})
      for (const char* ext : {".nii", ".nii.gz"})
        for (int shape = 0; shape < 3; ++shape) {
          const int dims = shape == 0 ? 2 : 3;
          const Size size = shape == 0 ? Size{7, 5, 1, 1} : shape == 1 ? Size{6, 5, 4, 1} : Size{4, 3, 2, 3};
          const Image im = diffseg::test::make_pattern_image(size, dims, dtype);
          const fs::path p = dir / ("img_" + std::string(dtype_name(dtype)) + "_v" + std::to_string(version) + "_" +
                                    std::to_string(shape) + ext);
          write_nifti(p, im, NiftiWriteOptions{version});
          const Image back = read_nifti(p);
          SCOPED_TRACE(p.filename().string());
          EXPECT_EQ(back.spatial_dims(), dims);
          EXPECT_TRUE(diffseg::test::same_voxels(back, im));
          // NIfTI-1 stores the sform in float32; NIfTI-2 in float64.
          EXPECT_TRUE(diffseg::test::same_affine(back.geometry(), im.geometry(), version == 1 ? 1e-5 : 1e-12));
        }
}

TEST(Nifti, WritesNifti2HeaderWhenAsked) {
  TempDir dir;
  const Image im = diffseg::test::make_pattern_image(Size{3, 3, 3, 1}, 3, DType::int16);
  write_nifti(dir / "v2.nii", im, NiftiWriteOptions{2});
  std::ifstream in(dir / "v2.nii", std::ios::binary);
  int32_t sizeof_hdr = 0;
  in.read(reinterpret_cast<char*>(&sizeof_hdr), 4);
  EXPECT_EQ(sizeof_hdr, 540);
}

// scl_slope / scl_inter are applied on read, as nibabel does: patch them into an int16 file by hand.
TEST(Nifti, AppliesSlopeAndIntercept) {
  TempDir dir;
  const Image im = diffseg::test::make_pattern_image(Size{4, 4, 2, 1}, 3, DType::int16);
  const fs::path p = dir / "scaled.nii";
  write_nifti(p, im);
  {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    const float slope = 0.5f, inter = -3.0f;
    f.seekp(112);
    f.write(reinterpret_cast<const char*>(&slope), 4);
    f.write(reinterpret_cast<const char*>(&inter), 4);
  }
  const Image back = read_nifti(p);
  ASSERT_EQ(back.dtype(), DType::float32);
  for (int64_t i = 0; i < im.size().elements(); ++i) EXPECT_FLOAT_EQ(back.value(i), im.value(i) * 0.5 - 3.0);
}

TEST(Nifti, DispatchByExtensionAndStem) {
  EXPECT_EQ(format_of("a/b/case.nii.gz"), FileFormat::nifti);
  EXPECT_EQ(format_of("case.NII"), FileFormat::nifti);
  EXPECT_EQ(format_of("mask.png"), FileFormat::png);
  EXPECT_EQ(stem_of("x/BraTS2021_00000_t1.nii.gz"), "BraTS2021_00000_t1");
  EXPECT_EQ(stem_of("x/BB_anon_348_1.png"), "BB_anon_348_1");
  EXPECT_THROW(format_of("scan.mha"), diffseg::InputError);
}

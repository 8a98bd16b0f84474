// Cross-check against nibabel, an independent NIfTI implementation: files nibabel writes read back with the same
// shape, values and affine; files diffseg writes read in nibabel the same way.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "diffseg/io/image_file.h"
#include "io/io_test_util.h"
#include "test_util.h"

using namespace diffseg::io;
using diffseg::test::TempDir;
using nlohmann::json;

namespace {

std::string reference_script() { return std::string(DIFFSEG_TEST_SOURCE_DIR) + "/io/nibabel_reference.py"; }

void expect_matches(const Image& im, const json& ref, double affine_tol) {
  SCOPED_TRACE(ref.at("file").get<std::string>());
  const auto shape = ref.at("shape").get<std::vector<int64_t>>();
  ASSERT_GE(shape.size(), 2u);
  EXPECT_EQ(im.size().x, shape[0]);
  EXPECT_EQ(im.size().y, shape[1]);
  EXPECT_EQ(im.size().z, shape.size() >= 3 ? shape[2] : 1);
  EXPECT_EQ(im.size().channels, shape.size() >= 4 ? shape[3] : 1);
  EXPECT_EQ(im.spatial_dims(), shape.size() == 2 ? 2 : 3);
  const auto affine = ref.at("affine").get<std::vector<std::vector<double>>>();
  const Affine mine = im.geometry().affine();
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(mine[r][c], affine[r][c], affine_tol) << "affine[" << r << "][" << c << "]";
  const auto values = ref.at("values").get<std::vector<double>>();
  ASSERT_EQ(static_cast<int64_t>(values.size()), im.size().elements());
  for (size_t i = 0; i < values.size(); ++i)
    if (im.value(static_cast<int64_t>(i)) != values[i]) {
      ADD_FAILURE() << "voxel " << i << ": diffseg " << im.value(static_cast<int64_t>(i)) << ", nibabel "
                    << values[i];
      break;
    }
}

}  // namespace

TEST(Nibabel, ReadsFilesNibabelWrote) {
  TempDir dir;
  ASSERT_EQ(diffseg::test::run_command(std::string(diffseg::test::debian_python()) + " " + reference_script() +
                                          " write " + dir.path().string()),
            0)
      << "the nibabel reference failed; is python3-nibabel installed (scripts/setup.sh)?";
  const json expected = json::parse(diffseg::test::read_text(dir / "expected.json"));
  ASSERT_GE(expected.size(), 70u);
  for (const json& ref : expected) {
    const Image im = read_image(dir / ref.at("file").get<std::string>());
    // nibabel's affine is computed in float64 from the same stored numbers (float32 in NIfTI-1).
    expect_matches(im, ref, 1e-5);
    if (ref.at("file") == "nib_scaled.nii.gz") {
      EXPECT_EQ(im.dtype(), DType::float32);
    }
  }
}

TEST(Nibabel, NibabelReadsFilesDiffsegWrote) {
  TempDir dir;
  std::vector<std::pair<std::string, Image>> written;
  int n = 0;
  for (DType dtype : {DType::uint8, DType::int16, DType::uint16, DType::int32, DType::float32, DType::float64})
    for (int version : {1, 2})
      for (const char* ext : {".nii", ".nii.gz"}) {
        const bool four_d = (n++ % 2) == 1;
        const Image im = diffseg::test::make_pattern_image(four_d ? Size{4, 3, 2, 2} : Size{5, 4, 3, 1}, 3, dtype);
        const std::string name = "ds_" + std::to_string(n) + "_v" + std::to_string(version) + ext;
        write_image(dir / name, im, WriteOptions{version});
        written.emplace_back(name, im);
      }
  std::string out;
  ASSERT_EQ(diffseg::test::run_command(std::string(diffseg::test::debian_python()) + " " + reference_script() +
                                              " read " + dir.path().string(),
                                          &out),
            0);
  const json refs = json::parse(out);
  ASSERT_EQ(refs.size(), written.size());
  for (const json& ref : refs) {
    const auto it = std::find_if(written.begin(), written.end(), [&](const auto& w) { return w.first == ref.at("file"); });
    ASSERT_NE(it, written.end());
    const int version = it->first.find("_v2") != std::string::npos ? 2 : 1;
    EXPECT_EQ(ref.at("version").get<int>(), version);
    EXPECT_EQ(ref.at("dtype").get<std::string>(), std::string(dtype_name(it->second.dtype())));
    expect_matches(it->second, ref, version == 1 ? 1e-5 : 1e-12);
  }
}

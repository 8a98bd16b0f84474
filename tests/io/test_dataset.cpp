#include "diffseg/io/dataset.h"

#include <fstream>

#include <gtest/gtest.h>

#include "diffseg/core/error.h"
#include "diffseg/io/image_file.h"
#include "io/error_matchers.h"
#include "io/io_test_util.h"
#include "test_util.h"

using namespace diffseg::io;
using diffseg::test::TempDir;
namespace fs = std::filesystem;

namespace {
void touch_image(const fs::path& p) {
  write_image(p, diffseg::test::make_pattern_image(Size{4, 4, 2, 1}, 3, DType::float32));
}
void write_json(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
}  // namespace

// An MSD-style file as users download it: test entries are bare strings, an image may be a list of channels.
TEST(Dataset, ReadsMsdStyleJson) {
  TempDir dir;
  fs::create_directories(dir / "imagesTr");
  fs::create_directories(dir / "labelsTr");
  fs::create_directories(dir / "imagesTs");
  for (const char* f : {"imagesTr/a_t1.nii.gz", "imagesTr/a_t2.nii.gz", "labelsTr/a.nii.gz", "imagesTs/b_t1.nii.gz",
                        "imagesTs/b_t2.nii.gz"})
    touch_image(dir / f);
  write_json(dir / "dataset.json", R"({
    "name": "Toy", "modality": {"0": "T1", "1": "T2"},
    "labels": {"0": "background", "1": "edema", "2": "tumour"},
    "training": [{"image": ["./imagesTr/a_t1.nii.gz", "./imagesTr/a_t2.nii.gz"], "label": "./labelsTr/a.nii.gz"}],
    "test": [["./imagesTs/b_t1.nii.gz", "./imagesTs/b_t2.nii.gz"]]
  })");
  const Dataset d = read_dataset(dir.path());
  EXPECT_EQ(d.name, "Toy");
  EXPECT_EQ(d.num_classes(), 3);
  EXPECT_EQ(d.modalities, (std::vector<std::string>{"T1", "T2"}));
  ASSERT_EQ(d.training.size(), 1u);
  EXPECT_EQ(d.training[0].id, "a_t1");
  EXPECT_EQ(d.training[0].images.size(), 2u);
  EXPECT_EQ(d.training[0].label, (dir / "labelsTr/a.nii.gz").lexically_normal());
  ASSERT_EQ(d.test.size(), 1u);
  EXPECT_TRUE(d.test[0].label.empty());
  EXPECT_EQ(&d.split("valid"), &d.validation);
  EXPECT_THROW(d.split("holdout"), diffseg::UsageError);
}

TEST(Dataset, WriteThenReadRoundTrips) {
  TempDir dir;
  Dataset d;
  d.root = dir.path();
  d.name = "rt";
  d.modalities = {"CT"};
  d.labels = {{0, "background"}, {1, "liver"}};
  for (const char* id : {"x", "y"}) {
    touch_image(dir / (std::string("img_") + id + ".nii.gz"));
    touch_image(dir / (std::string("lab_") + id + ".nii.gz"));
  }
  d.training.push_back({"img_x", {dir / "img_x.nii.gz"}, dir / "lab_x.nii.gz"});
  d.validation.push_back({"img_y", {dir / "img_y.nii.gz"}, dir / "lab_y.nii.gz"});
  write_dataset(d);
  const Dataset back = read_dataset(dir / "dataset.json");
  EXPECT_EQ(back.labels, d.labels);
  ASSERT_EQ(back.validation.size(), 1u);
  EXPECT_EQ(back.validation[0].images[0], (dir / "img_y.nii.gz").lexically_normal());
  EXPECT_TRUE(back.test.empty());
}

TEST(Dataset, BrokenJsonNamesFileAndPosition) {
  TempDir dir;
  write_json(dir / "dataset.json", R"({"labels": {"0": "background", "1": "a"}, "training": [ )");
  EXPECT_INPUT_ERROR(read_dataset(dir.path()), "dataset.json", "invalid JSON");
  // A number beyond double's range is the parser's out_of_range, not a parse_error (found by fuzz_dataset).
  write_json(dir / "dataset.json", R"({"labels": 1e400})");
  EXPECT_INPUT_ERROR(read_dataset(dir.path()), "dataset.json", "invalid JSON");
}

TEST(Dataset, IncompleteJsonIsRefused) {
  TempDir dir;
  touch_image(dir / "i.nii.gz");
  const auto f = (dir / "dataset.json").string();
  write_json(f, R"({"training": [{"image": "i.nii.gz", "label": "i.nii.gz"}]})");
  EXPECT_INPUT_ERROR(read_dataset(f), f, "missing \"labels\"");
  write_json(f, R"({"labels": {"0": "bg", "2": "x"}, "training": [{"image": "i.nii.gz", "label": "i.nii.gz"}]})");
  EXPECT_INPUT_ERROR(read_dataset(f), f, "id 1 is missing");
  write_json(f, R"({"labels": {"0": "bg", "1": "x"}, "training": [{"image": "i.nii.gz"}]})");
  EXPECT_INPUT_ERROR(read_dataset(f), f, "has no \"label\"");
  write_json(f, R"({"labels": {"0": "bg", "1": "x"}, "training": [{"label": "i.nii.gz"}]})");
  EXPECT_INPUT_ERROR(read_dataset(f), f, "has no \"image\"");
  write_json(f, R"({"labels": {"0": "bg", "1": "x"}})");
  EXPECT_INPUT_ERROR(read_dataset(f), f, "lists no cases");
  write_json(f, R"({"labels": {"0": "bg", "1": "x"}, "training": {"image": "i.nii.gz"}})");
  EXPECT_INPUT_ERROR(read_dataset(f), f, "must be a list");
  write_json(f, R"([1, 2])");
  EXPECT_INPUT_ERROR(read_dataset(f), f, "JSON object");
}

TEST(Dataset, MissingListedFilesAreCountedAndNamed) {
  TempDir dir;
  touch_image(dir / "i.nii.gz");
  write_json(dir / "dataset.json", R"({"labels": {"0": "bg", "1": "x"},
    "training": [{"image": "i.nii.gz", "label": "gone_label.nii.gz"}], "test": ["gone_image.nii.gz"]})");
  EXPECT_INPUT_ERROR(read_dataset(dir.path()), "dataset.json", "2 listed file(s) do not exist");
  EXPECT_INPUT_ERROR(read_dataset(dir.path()), "dataset.json", "gone_label.nii.gz");
}

TEST(Dataset, MissingDatasetJson) {
  TempDir dir;
  EXPECT_INPUT_ERROR(read_dataset(dir.path()), "dataset.json", "file not found");
}

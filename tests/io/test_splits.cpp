#include "diffseg/io/splits.h"

#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "io/error_matchers.h"
#include "test_util.h"

using namespace diffseg::io;
using diffseg::test::TempDir;
namespace fs = std::filesystem;

namespace {
Dataset toy(int training, int validation, int test) {
  Dataset d;
  d.root = "/data/toy";
  d.labels = {{0, "background"}, {1, "fg"}};
  auto add = [](std::vector<DatasetEntry>& list, const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) list.push_back({prefix + std::to_string(i), {prefix + std::to_string(i) + ".nii"}, {}});
  };
  add(d.training, "tr", training);
  add(d.validation, "va", validation);
  add(d.test, "ts", test);
  return d;
}

std::vector<std::string> ids(const std::vector<DatasetEntry>& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e.id);
  return out;
}
}  // namespace

TEST(Splits, SeededHoldOutIsReproducibleAndDisjoint) {
  const Dataset d = toy(40, 0, 5);
  const Dataset a = hold_out_validation(d, 0.2, 7), b = hold_out_validation(d, 0.2, 7), c = hold_out_validation(d, 0.2, 8);
  EXPECT_EQ(a.validation.size(), 8u);
  EXPECT_EQ(a.training.size(), 32u);
  EXPECT_EQ(ids(a.validation), ids(b.validation));
  EXPECT_NE(ids(a.validation), ids(c.validation));
  std::set<std::string> all;
  for (const auto& list : {a.training, a.validation}) for (const auto& e : list) all.insert(e.id);
  EXPECT_EQ(all.size(), 40u);  // every case once, none lost
  EXPECT_EQ(ids(a.test), ids(d.test));
  // An existing validation list is respected; a single training case is never held out.
  EXPECT_EQ(ids(hold_out_validation(toy(10, 3, 0), 0.5, 1).validation), ids(toy(10, 3, 0).validation));
  EXPECT_TRUE(hold_out_validation(toy(1, 0, 0), 0.5, 1).validation.empty());
}

TEST(Splits, SplitFileReassignsCasesById) {
  TempDir dir;
  const Dataset d = toy(4, 2, 2);
  std::ofstream(dir / "split.json") << R"({"training": ["ts0", "tr1", "va0"], "validation": ["tr0"], "test": ["ts1"]})";
  const Dataset s = apply_split_file(d, dir / "split.json");
  EXPECT_EQ(ids(s.training), (std::vector<std::string>{"ts0", "tr1", "va0"}));
  EXPECT_EQ(ids(s.validation), (std::vector<std::string>{"tr0"}));
  EXPECT_EQ(ids(s.test), (std::vector<std::string>{"ts1"}));
  // Written and read back, a split is the same.
  write_split_file(s, dir / "again.json");
  const Dataset t = apply_split_file(d, dir / "again.json");
  EXPECT_EQ(ids(t.training), ids(s.training));
  EXPECT_EQ(ids(t.test), ids(s.test));
}

TEST(Splits, BadSplitFilesNameTheFileAndTheProblem) {
  TempDir dir;
  const Dataset d = toy(3, 0, 0);
  std::ofstream(dir / "unknown.json") << R"({"training": ["tr0", "nope"]})";
  EXPECT_INPUT_ERROR(apply_split_file(d, dir / "unknown.json"), "unknown.json", "case 'nope' is not in");
  std::ofstream(dir / "twice.json") << R"({"training": ["tr0"], "test": ["tr0"]})";
  EXPECT_INPUT_ERROR(apply_split_file(d, dir / "twice.json"), "twice.json", "listed twice");
  std::ofstream(dir / "broken.json") << R"({"training": [)";
  EXPECT_INPUT_ERROR(apply_split_file(d, dir / "broken.json"), "broken.json", "invalid JSON");
  EXPECT_INPUT_ERROR(apply_split_file(d, dir / "missing.json"), "missing.json", "file not found");
}

// The run-config vocabulary: every shipped config uses only known keys, and a misspelt key is an error that names
// it and suggests the right one.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "diffseg/core/config.h"
#include "diffseg/core/error.h"
#include "diffseg/train/run_config_keys.h"
#include "test_util.h"

using namespace diffseg;
namespace fs = std::filesystem;

namespace {
std::string error_of(const Config& c) {
  try {
    train::check_run_config(c);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

Config parse(const std::string& yaml) { return Config(YAML::Load(yaml)); }
}  // namespace

TEST(RunConfigKeys, EveryShippedConfigIsKnown) {
  const fs::path root = fs::path(DIFFSEG_TEST_SOURCE_DIR).parent_path();
  int checked = 0;
  for (const fs::path dir : {root / "configs", root / "tests" / "apps"})
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".yaml") {
        EXPECT_EQ(error_of(Config::load(e.path())), "") << e.path();
        ++checked;
      }
  EXPECT_GE(checked, 8);
}

TEST(RunConfigKeys, TyposAreErrorsWithSuggestions) {
  const std::string top = error_of(parse("modle: {channels: [8, 16]}\n"));
  EXPECT_NE(top.find("modle.channels"), std::string::npos) << top;
  EXPECT_NE(top.find("did you mean model.channels?"), std::string::npos) << top;
  const std::string nested = error_of(parse("train: {bacth_size: 4, bogus_key: 1}\n"));
  EXPECT_NE(nested.find("did you mean train.batch_size?"), std::string::npos) << nested;
  EXPECT_NE(nested.find("train.bogus_key"), std::string::npos) << nested;
  EXPECT_NE(nested.find("unknown settings"), std::string::npos) << nested;
}

TEST(RunConfigKeys, FreeFormSectionsAndSetOverridesAreChecked) {
  Config c = parse("data: {preprocessing: {reorient: true, anything: 1}}\npreprocess: {spacing_xyz: [1, 1, 1]}\n");
  EXPECT_EQ(error_of(c), "");
  c.set("train.max_stepz=3");
  EXPECT_NE(error_of(c).find("did you mean train.max_steps?"), std::string::npos) << error_of(c);
}

TEST(RunConfigKeys, EmptyOrMissingConfigFilesAreUsageErrors) {
  test::TempDir dir;
  std::ofstream(dir / "empty.yaml").close();
  EXPECT_THROW(Config::load(dir / "empty.yaml"), UsageError);
  EXPECT_THROW(Config::load(dir / "missing.yaml"), UsageError);
}

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
  for (const fs::path& dir : {root / "configs", root / "tests" / "apps"})
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".yaml") {
        // As a run reads it: the chosen preset applied (every preset of the file checked), then the key check.
        Config c = Config::load(e.path());
        EXPECT_NO_THROW(train::apply_run_settings(c, {})) << e.path();
        EXPECT_EQ(error_of(c), "") << e.path();
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

namespace {
const char* kWithPresets = R"(
preset: ours
loss: {dice: 1.0, focal: 1.0}
train: {batch_size: 8, max_steps: 100}
presets:
  ours: {}
  paper:
    loss: {focal: 20.0}
    diffusion: {num_timesteps: 5}
    augment: {shift_voxels: [10, 10]}
)";
}  // namespace

TEST(RunConfigKeys, APresetIsMergedBeneathExplicitSettings) {
  Config ours = parse(kWithPresets);
  train::apply_run_settings(ours, {});
  EXPECT_EQ(ours.get<double>("loss.focal", 0), 1.0);
  EXPECT_FALSE(ours.has("presets"));  // the effective config is self-contained
  EXPECT_EQ(ours.get<std::string>("preset", ""), "ours");

  Config paper = parse(kWithPresets);
  train::apply_run_settings(paper, parse_settings({"preset=paper", "train.max_steps=7"}));
  EXPECT_EQ(paper.get<double>("loss.focal", 0), 20.0);       // from the preset
  EXPECT_EQ(paper.get<double>("loss.dice", 0), 1.0);         // a sibling the preset does not name is kept
  EXPECT_EQ(paper.get<int64_t>("diffusion.num_timesteps", 0), 5);
  EXPECT_EQ(paper.get<int64_t>("train.max_steps", 0), 7);    // --set applied
  EXPECT_EQ((paper.get<std::vector<int64_t>>("augment.shift_voxels", {})), (std::vector<int64_t>{10, 10}));
  EXPECT_EQ(error_of(paper), "");

  // An explicit setting wins over the preset's value for the same key.
  Config mine = parse(kWithPresets);
  train::apply_run_settings(mine, parse_settings({"preset=paper", "loss.focal=3"}));
  EXPECT_EQ(mine.get<double>("loss.focal", 0), 3.0);

  // A recorded config (preset named, no presets section) is taken as it is.
  Config recorded = parse("preset: paper\nloss: {focal: 20.0}\n");
  train::apply_run_settings(recorded, {});
  EXPECT_EQ(recorded.get<double>("loss.focal", 0), 20.0);
}

TEST(RunConfigKeys, UnknownPresetsAndTyposInsidePresetsAreRefused) {
  Config unknown = parse(kWithPresets);
  try {
    train::apply_run_settings(unknown, parse_settings({"preset=papper"}));
    FAIL() << "an unknown preset was accepted";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("papper"), std::string::npos) << m;
    EXPECT_NE(m.find("ours, paper"), std::string::npos) << m;
  }
  // A typo in a preset that is not chosen is still an error: it would bite the day someone chooses it.
  Config typo = parse(std::string(kWithPresets) + "  other: {loss: {focall: 2}}\n");
  try {
    train::apply_run_settings(typo, {});
    FAIL() << "a misspelt key inside a preset was accepted";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("loss.focall"), std::string::npos) << m;
    EXPECT_NE(m.find("other"), std::string::npos) << m;
  }
  Config nested = parse("presets: {a: {preset: b}, b: {}}\n");
  EXPECT_THROW(train::apply_run_settings(nested, {}), UsageError);
}

// The shipped paper configs offer both presets, and `paper` is the paper-era chain and loss.
TEST(RunConfigKeys, PaperConfigsOfferBothPresets) {
  const fs::path configs = fs::path(DIFFSEG_TEST_SOURCE_DIR).parent_path() / "configs";
  for (const char* name : {"muscle_us.yaml", "male_pelvic_mr.yaml", "amos_ct.yaml", "brats2021.yaml"}) {
    Config paper = Config::load(configs / name);
    train::apply_run_settings(paper, parse_settings({"preset=paper"}));
    EXPECT_EQ(paper.get<int64_t>("diffusion.num_timesteps", 0), 5) << name;
    EXPECT_EQ(paper.get<int64_t>("diffusion.schedule_points", 0), 1001) << name;
    EXPECT_EQ(paper.get<double>("loss.focal", 0), 20.0) << name;
    EXPECT_EQ(paper.get<std::string>("model.time_injection", ""), "reference") << name;
    EXPECT_EQ(paper.get<std::string>("diffusion.time_sampler", ""), "importance") << name;
    EXPECT_EQ(paper.get<std::string>("diffusion.importance_weight", ""), "reference") << name;
    Config ours = Config::load(configs / name);
    train::apply_run_settings(ours, parse_settings({"preset=diffseg"}));
    EXPECT_EQ(ours.get<std::string>("preset", ""), "diffseg") << name;
    EXPECT_EQ(error_of(ours), "") << name;
    EXPECT_EQ(error_of(paper), "") << name;
  }
}

// A path with the characters YAML gives a meaning to is set as a typed value (no text round-trip) and comes back
// as the same string, also from the config.yaml a run folder records.
TEST(RunConfigKeys, TypedSettingsSurviveQuotesColonsAndBackslashes) {
  for (const std::string path : {"/data/plain", "/data/with \"quotes\"", "C:\\scans\\a b", "/d/x: y #z", "'[1, 2]'", "3"}) {
    Config c;
    train::apply_run_settings(c, {{"data.path", YAML::Node(path)}, {"data.patch", flow_list(std::vector<int64_t>{4, 8})}});
    EXPECT_EQ(c.get<std::string>("data.path", ""), path);
    const Config reread(YAML::Load(c.dump()));
    EXPECT_EQ(reread.get<std::string>("data.path", ""), path);
    EXPECT_EQ(reread.get<std::vector<int64_t>>("data.patch", {}), (std::vector<int64_t>{4, 8}));
  }
}

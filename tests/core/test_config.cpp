#include "diffseg/core/config.h"

#include <fstream>

#include "test_util.h"

using diffseg::Config;

TEST(Config, LoadsGetsWithFallbackAndOverrides) {
  diffseg::test::TempDir dir;
  std::ofstream(dir / "c.yaml") << "data:\n  num_classes: 4\n  patch: [64, 48]\nmodel:\n  dropout: 0.1\n";
  Config c = Config::load(dir / "c.yaml");
  EXPECT_EQ(c.get<int>("data.num_classes", 0), 4);
  EXPECT_EQ(c.get<std::vector<int>>("data.patch", {}), (std::vector<int>{64, 48}));
  EXPECT_EQ(c.get<int>("train.batch_size", 8), 8);
  EXPECT_FALSE(c.has("train.batch_size"));
  c.set("train.batch_size=2");
  c.set("model.dropout=0.25");
  c.set("model.channels=[8, 16]");
  EXPECT_EQ(c.get<int>("train.batch_size", 8), 2);
  EXPECT_DOUBLE_EQ(c.get<double>("model.dropout", 0), 0.25);
  EXPECT_EQ(c.get<std::vector<int>>("model.channels", {}), (std::vector<int>{8, 16}));
  EXPECT_EQ(c.get<int>("data.num_classes", 0), 4);  // untouched by the overrides
  // The dump is the effective config and loads back to the same values.
  std::ofstream(dir / "d.yaml") << c.dump();
  EXPECT_EQ(Config::load(dir / "d.yaml").get<int>("train.batch_size", 0), 2);
}

namespace {
// Config::load refuses the file with a usage error whose message names it.
void expect_refused_naming_file(const std::filesystem::path& file) {
  try {
    Config::load(file);
    FAIL() << file;
  } catch (const diffseg::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(file.filename().string()), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Config, ErrorsNameTheKeyOrFile) {
  diffseg::test::TempDir dir;
  std::ofstream(dir / "bad.yaml") << "data: [1, 2\n";
  // A config is a setting: its problems are usage errors (exit 2), and they name the file.
  for (const char* name : {"bad.yaml", "missing.yaml"}) {
    expect_refused_naming_file(dir / name);
  }
  Config c;
  c.set("a.b=hello");
  try {
    c.get<int>("a.b", 0);
    FAIL();
  } catch (const diffseg::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("a.b"), std::string::npos);
  }
  EXPECT_THROW(c.require<int>("a.c"), diffseg::UsageError);
  EXPECT_THROW(c.set("no_equals_sign"), diffseg::UsageError);
}

// yaml-cpp turns an alias inside its own anchor into a cycle, and aliases of aliases into an exponentially large
// tree; either would overflow the stack or never end in the key check, Clone or dump (found by fuzz_config).
TEST(Config, SelfReferentialOrExplodingAliasesAreRefused) {
  diffseg::test::TempDir dir;
  std::string exploding = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";  // a6 below stands for 10^7 values
  for (int i = 1; i <= 6; ++i) {
    const std::string previous = "*a" + std::to_string(i - 1);
    exploding += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + previous;
    for (int k = 1; k < 10; ++k) exploding += ", " + previous;
    exploding += "]\n";
  }
  const std::pair<const char*, std::string> files[] = {
      {"cycle.yaml", "train: &x {lr: *x}\n"}, {"list_cycle.yaml", "data: &x [1, *x]\n"}, {"exploding.yaml", exploding}};
  for (const auto& [name, text] : files) {
    std::ofstream(dir / name) << text;
    expect_refused_naming_file(dir / name);
  }
  Config c;
  EXPECT_THROW(c.set("train.lr=&x {init: *x}"), diffseg::UsageError);
  // Aliases that only share a value are fine.
  std::ofstream(dir / "shared.yaml") << "train:\n  lr: &rate {init: 0.1}\ndata:\n  preprocessing: {copy: *rate}\n";
  EXPECT_DOUBLE_EQ(Config::load(dir / "shared.yaml").get<double>("data.preprocessing.copy.init", 0), 0.1);
}

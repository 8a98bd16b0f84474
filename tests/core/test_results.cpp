#include "diffseg/core/results.h"

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "diffseg/core/error.h"

using namespace diffseg;

TEST(Results, JsonWritesNanAsNullAndKeepsTypes) {
  ResultTable t({"case", "label", "dice"});
  t.add({std::string("a"), int64_t{1}, 0.5});
  t.add({std::string("b"), int64_t{2}, std::nan("")});
  const auto j = nlohmann::json::parse(t.to_json());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["case"], "a");
  EXPECT_TRUE(j[0]["label"].is_number_integer());
  EXPECT_DOUBLE_EQ(j[0]["dice"].get<double>(), 0.5);
  EXPECT_TRUE(j[1]["dice"].is_null());
  EXPECT_EQ(t.to_csv(), "case,label,dice\na,1,0.5\nb,2,\n");
  EXPECT_THROW(t.add({std::string("c")}), std::invalid_argument);
}

TEST(Results, SummaryCountsNanAndUsesPopulationStd) {
  const Summary s = summarise({1.0, 3.0, std::nan("")});
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.std, 1.0);
  EXPECT_EQ(s.count, 2);
  EXPECT_EQ(s.nan, 1);
  EXPECT_EQ(format_summary(s, 2), "2.00 ± 1.00 (n=2, 1 NaN)");
}

TEST(Results, CsvCellsAreReadByColumnName) {
  const auto path = std::filesystem::temp_directory_path() / "diffseg_results_by_name.csv";
  ResultTable t({"method", "dice_mean", "p"});
  t.add({std::string("ensemble"), 0.75, std::nan("")});
  t.write_csv(path);
  const CsvData d = read_csv(path);
  EXPECT_EQ(d.at(0, "method"), "ensemble");
  EXPECT_EQ(d.at(0, "dice_mean"), "0.75");
  EXPECT_EQ(d.at(0, "p"), "");  // NaN
  EXPECT_EQ(d.number(0, "dice_mean"), 0.75);
  EXPECT_TRUE(std::isnan(d.number(0, "p")));
  EXPECT_THROW(d.number(0, "method"), InputError);  // text, not a number
  try {
    d.at(0, "hd95_mean");
    ADD_FAILURE() << "a missing column must throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no column \"hd95_mean\" (columns: method, dice_mean, p)"),
              std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

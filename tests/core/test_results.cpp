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

// Ids with commas, quotes or line breaks stay one cell (RFC 4180 quoting) and read back as written; plain cells
// are not quoted, so files without such ids look as before.
TEST(Results, CsvQuotesTextThatHoldsCommasQuotesOrLineBreaks) {
  const std::vector<std::string> ids{"plain", "a,b", "say \"hi\"", "two\nlines", "", "x\r\ny"};
  ResultTable t({"case id", "dice"});
  for (const auto& id : ids) t.add({id, 0.5});
  const std::string csv = t.to_csv();
  EXPECT_NE(csv.find("\nplain,0.5\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n\"a,b\",0.5\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n\"say \"\"hi\"\"\",0.5\n"), std::string::npos) << csv;
  const auto path = std::filesystem::temp_directory_path() / "diffseg_results_quoted.csv";
  t.write_csv(path);
  const CsvData d = read_csv(path);
  ASSERT_EQ(d.rows.size(), ids.size());
  for (size_t r = 0; r < ids.size(); ++r) {
    EXPECT_EQ(d.at(r, "case id"), ids[r]);
    EXPECT_EQ(d.number(r, "dice"), 0.5);
  }
  std::filesystem::remove(path);
}

// A log grows row by row in the results format; a resumed run drops the rows from its checkpoint's step on.
TEST(Results, CsvAppenderWritesTheHeaderOnceAndKeepsRowsBelowAStep) {
  const auto path = std::filesystem::temp_directory_path() / "diffseg_results_log.csv";
  std::filesystem::remove(path);
  const CsvAppender log(path, {"step", "loss", "note"});
  for (int64_t step = 0; step < 5; ++step) log.append({step, 0.25 * static_cast<double>(step), std::string("a,b")});
  CsvData d = read_csv(path);
  ASSERT_EQ(d.rows.size(), 5u);
  EXPECT_EQ(d.header, (std::vector<std::string>{"step", "loss", "note"}));
  EXPECT_EQ(d.number(4, "loss"), 1.0);
  EXPECT_EQ(d.at(4, "note"), "a,b");
  log.keep_rows_below(3);
  d = read_csv(path);
  ASSERT_EQ(d.rows.size(), 3u);
  EXPECT_EQ(d.number(2, "step"), 2.0);
  EXPECT_EQ(d.at(2, "note"), "a,b");
  log.append({int64_t{3}, std::nan(""), std::string("x")});
  d = read_csv(path);
  ASSERT_EQ(d.rows.size(), 4u);
  EXPECT_TRUE(std::isnan(d.number(3, "loss")));
  log.keep_rows_below(0);
  EXPECT_TRUE(read_csv(path).rows.empty());
  EXPECT_EQ(read_csv(path).header.size(), 3u);
  std::filesystem::remove(path);
}

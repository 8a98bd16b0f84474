#include "diffseg/core/results.h"

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

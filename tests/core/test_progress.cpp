#include "diffseg/core/progress.h"

#include <gtest/gtest.h>

using diffseg::Progress;

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(Progress::format_duration(0), "00:00");
  EXPECT_EQ(Progress::format_duration(65.4), "01:05");
  EXPECT_EQ(Progress::format_duration(3600 + 2 * 60 + 3), "1:02:03");
  EXPECT_EQ(Progress::format_duration(-1), "--:--");
}

#include "diffseg/core/base64.h"

#include <gtest/gtest.h>

// RFC 4648 §10 test vectors, plus bytes above 127 (PNG data is binary).
TEST(Base64, MatchesTheRfcVectors) {
  EXPECT_EQ(diffseg::base64_encode(""), "");
  EXPECT_EQ(diffseg::base64_encode("f"), "Zg==");
  EXPECT_EQ(diffseg::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(diffseg::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(diffseg::base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(diffseg::base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(diffseg::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(diffseg::base64_encode(std::string("\x89PNG\xff", 5)), "iVBOR/8=");
}

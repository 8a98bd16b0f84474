#include "diffseg/io/image.h"

#include <gtest/gtest.h>

#include "io/io_test_util.h"

using namespace diffseg::io;

TEST(Image, CastConvertsValues) {
  Image im(Size{3, 2, 1, 1}, 2, DType::float32);
  float* p = im.data<float>();
  for (int i = 0; i < 6; ++i) p[i] = static_cast<float>(i) * 1.5f;
  const Image c = im.cast(DType::int16);
  EXPECT_EQ(c.dtype(), DType::int16);
  EXPECT_EQ(c.value(3), 4.0);  // 4.5 truncated
  EXPECT_THROW(im.data<int16_t>(), std::logic_error);
}

TEST(Image, StackAndSplitChannelsRoundTrip) {
  const Image a = diffseg::test::make_pattern_image(Size{4, 3, 2, 1}, 3, DType::float32);
  Image b = a.cast(DType::float32);
  for (int64_t i = 0; i < b.size().elements(); ++i) b.data<float>()[i] += 1.0f;
  const Image s = Image::stack_channels({a, b});
  EXPECT_EQ(s.size().channels, 2);
  EXPECT_TRUE(diffseg::test::same_voxels(s.channel(0), a));
  EXPECT_TRUE(diffseg::test::same_voxels(s.channel(1), b));
  const Image other(Size{5, 3, 2, 1}, 3, DType::float32);
  EXPECT_THROW(Image::stack_channels({a, other}), std::invalid_argument);
}

TEST(Image, RejectsInvalidShapes) {
  EXPECT_THROW(Image(Size{0, 3, 1, 1}, 2, DType::uint8), std::invalid_argument);
  EXPECT_THROW(Image(Size{3, 3, 2, 1}, 2, DType::uint8), std::invalid_argument);
}

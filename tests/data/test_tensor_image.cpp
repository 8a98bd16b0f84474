#include "diffseg/data/tensor_image.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "io/io_test_util.h"

using namespace diffseg;

// Tensor element [c][z][y][x] must be the image's voxel at flat index x + nx*(y + ny*(z + nz*c)).
TEST(TensorImage, LayoutIsChannelsFirstWithXFastest) {
  const io::Image im = test::make_pattern_image(io::Size{5, 4, 3, 2}, 3, io::DType::float32);
  const at::Tensor t = data::to_tensor(im);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{2, 3, 4, 5}));
  const auto a = t.accessor<float, 4>();
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t z = 0; z < 3; ++z)
      for (int64_t y = 0; y < 4; ++y)
        for (int64_t x = 0; x < 5; ++x)
          ASSERT_EQ(a[c][z][y][x], im.value(x + 5 * (y + 4 * (z + 3 * c))));
}

TEST(TensorImage, RoundTripKeepsValuesDtypeAndGeometry) {
  for (io::DType dtype : {io::DType::uint8, io::DType::int16, io::DType::int32, io::DType::float64}) {
    const io::Image im = test::make_pattern_image(io::Size{6, 5, 1, 1}, 2, dtype);
    const at::Tensor t = data::to_tensor(im);
    EXPECT_EQ(t.dim(), 3);
    const io::Image back = data::to_image(t, 2, im.geometry());
    EXPECT_TRUE(test::same_voxels(back, im));
    EXPECT_TRUE(test::same_affine(back.geometry(), im.geometry(), 0.0));
  }
}

TEST(TensorImage, Uint16IsWidenedToInt32) {
  io::Image im(io::Size{2, 2, 1, 1}, 2, io::DType::uint16);
  im.data<uint16_t>()[1] = 65535;
  const at::Tensor t = data::to_tensor(im);
  EXPECT_EQ(t.scalar_type(), at::kInt);
  EXPECT_EQ(t.flatten()[1].item<int>(), 65535);
}

TEST(TensorImage, RejectsWrongRank) {
  EXPECT_THROW(data::to_image(torch::zeros({2, 3, 4, 5, 6}), 3, {}), std::invalid_argument);
}

#include "diffseg/data/patches.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace diffseg::data;

TEST(Patches, WindowStartsFollowDesign) {
  EXPECT_EQ(window_starts(179, 128, 0), (std::vector<int64_t>{0, 51}));    // BraTS x
  EXPECT_EQ(window_starts(155, 128, 32), (std::vector<int64_t>{0, 27}));   // BraTS z
  EXPECT_EQ(window_starts(192, 128, 64), (std::vector<int64_t>{0, 64}));   // AMOS x: 2 patches
  EXPECT_EQ(window_starts(48, 32, 16), (std::vector<int64_t>{0, 16}));     // prostate z
  EXPECT_EQ(window_starts(100, 128, 0), (std::vector<int64_t>{0}));
  EXPECT_EQ(window_grid({179, 219, 155}, {128, 128, 128}, {0, 0, 32}).size(), 8u);
}

TEST(Patches, SlidingWindowWithIdentityReproducesTheImage) {
  const at::Tensor image = torch::rand({2, 37, 29});
  for (Blend blend : {Blend::mean, Blend::gaussian})
    for (const auto& overlap : {std::vector<int64_t>{0, 0}, std::vector<int64_t>{8, 12}}) {
      int calls = 0;
      const at::Tensor out = sliding_window(image, {16, 16}, overlap, 3, blend, [&](const at::Tensor& x) {
        ++calls;
        EXPECT_LE(x.size(0), 3);
        return x;
      });
      EXPECT_TRUE(torch::allclose(out, image, 1e-5, 1e-6));
      EXPECT_GT(calls, 1);
    }
  // Images smaller than the patch are padded and cropped back.
  const at::Tensor small = torch::rand({1, 5, 7, 6});
  EXPECT_TRUE(torch::allclose(
      sliding_window(small, {8, 8, 8}, {0, 0, 0}, 1, Blend::mean, [](const at::Tensor& x) { return x; }), small));
}

TEST(Patches, BlendingWeightsSumToOne) {
  // A "model" that outputs ones: any weighted average of ones is one everywhere iff the weights are normalised.
  const at::Tensor out = sliding_window(torch::rand({1, 40, 33}), {16, 12}, {5, 7}, 4, Blend::gaussian,
                                        [](const at::Tensor& x) { return torch::ones({x.size(0), 3, 16, 12}); });
  EXPECT_TRUE(torch::allclose(out, torch::ones({3, 40, 33}), 1e-5, 1e-6));
}

TEST(Patches, RandomCropPadsAndStaysAligned) {
  at::Tensor image = torch::arange(30, torch::kFloat).view({1, 5, 6}), label = torch::arange(30).view({5, 6}).to(torch::kByte);
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(3);
  random_crop(image, label, {8, 4}, g);
  EXPECT_EQ(image.sizes().vec(), (std::vector<int64_t>{1, 8, 4}));
  EXPECT_TRUE(torch::equal(image[0].to(torch::kByte), label));  // same crop for both
}

// The voxels an image costs once padded to the patch, per axis where it is smaller: 480*512 / (108*90) for a
// 108x90 image and a 480x512 patch; an axis larger than the patch (cut into windows) does not count.
TEST(Patches, PaddingFactorCountsOnlyThePaddedAxes) {
  EXPECT_DOUBLE_EQ(diffseg::data::padding_factor({108, 90}, {480, 512}), 480.0 * 512.0 / (108.0 * 90.0));
  EXPECT_DOUBLE_EQ(diffseg::data::padding_factor({480, 512}, {480, 512}), 1.0);
  EXPECT_DOUBLE_EQ(diffseg::data::padding_factor({1000, 64}, {480, 128}), 2.0);
  EXPECT_DOUBLE_EQ(diffseg::data::padding_factor({24, 64, 64}, {16, 32, 32}), 1.0);
  EXPECT_DOUBLE_EQ(diffseg::data::padding_factor({8, 64, 64}, {16, 32, 32}), 2.0);
}

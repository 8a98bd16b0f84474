#include "diffseg/data/augment.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace diffseg::data;

namespace {
at::Generator seeded(uint64_t s) { return at::make_generator<at::CPUGeneratorImpl>(s); }
}  // namespace

// A pure shift by (+2 rows, -3 columns) in the sampling map moves content the opposite way.
TEST(Augment, PureShiftMovesTheMask) {
  at::Tensor label = torch::zeros({12, 12}, torch::kByte);
  label.index_put_({5, 6}, 2);
  at::Tensor image = label.to(torch::kFloat).unsqueeze(0);
  VoxelAffine t{{{1, 0}, {0, 1}}, {2.0, -3.0}};  // input = output + shift
  apply_affine(t, image, label);
  EXPECT_EQ(label.index({3, 9}).item<int>(), 2);
  EXPECT_EQ(label.sum().item<int>(), 2);
  EXPECT_NEAR(image[0][3][9].item<float>(), 2.0f, 1e-5);
}

// 90° rotation about the centre of a 9x9 grid: input (r, c) = M (out - 4) + 4 with M = [[0, -1], [1, 0]].
TEST(Augment, QuarterTurnRotatesAKnownMaskAndKeepsLabelValues) {
  at::Tensor label = torch::zeros({9, 9}, torch::kByte);
  label.index_put_({torch::indexing::Slice(1, 3), torch::indexing::Slice(4, 8)}, 3);  // rows 1-2, cols 4-7
  label.index_put_({6, 1}, 1);
  at::Tensor image = torch::rand({2, 9, 9});
  const at::Tensor original = label.clone();
  VoxelAffine t{{{0, -1}, {1, 0}}, {0, 0}};
  apply_affine(t, image, label);
  // output (r, c) takes input (4 - (c - 4), (r - 4) + 4) = (8 - c, r).
  for (int r = 0; r < 9; ++r)
    for (int c = 0; c < 9; ++c) ASSERT_EQ(label[r][c].item<int>(), original[8 - c][r].item<int>()) << r << "," << c;
  const at::Tensor values = std::get<0>(at::_unique(label, /*sorted=*/true));
  EXPECT_TRUE(torch::equal(values, torch::tensor({0, 1, 3}, torch::kByte)));
}

TEST(Augment, RandomAffineIsSeededAndRespectsSpacing) {
  AugmentOptions o;
  o.probability = 1.0;
  const auto a = random_affine({20, 30}, {1.0, 1.0}, o, seeded(4));
  const auto b = random_affine({20, 30}, {1.0, 1.0}, o, seeded(4));
  EXPECT_EQ(a.matrix, b.matrix);
  EXPECT_EQ(a.shift, b.shift);
  // With only a rotation, anisotropic spacing turns it into S^-1 R S in voxel space.
  AugmentOptions rot_only = o;
  rot_only.max_zoom = 0;
  rot_only.max_shear_deg = 0;
  rot_only.max_shift_fraction = 0;
  const auto iso = random_affine({20, 30}, {1.0, 1.0}, rot_only, seeded(9));
  const auto aniso = random_affine({20, 30}, {2.0, 0.5}, rot_only, seeded(9));
  EXPECT_NEAR(aniso.matrix[0][1], iso.matrix[0][1] * 0.5 / 2.0, 1e-12);
  EXPECT_NEAR(aniso.matrix[1][0], iso.matrix[1][0] * 2.0 / 0.5, 1e-12);
  AugmentOptions never = o;
  never.probability = 0.0;
  const auto id = random_affine({5, 5, 5}, {1, 1, 1}, never, seeded(1));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(id.matrix[i][j], i == j ? 1.0 : 0.0);
}

// augment.shift_voxels bounds each axis's shift in voxels, whatever the axis size (the paper-era setting).
TEST(Augment, ShiftInVoxelsBoundsEachAxis) {
  AugmentOptions o;
  o.probability = 1.0;
  o.max_shift_voxels = {4.0, 20.0, 0.0};
  double largest[3] = {0, 0, 0};
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const auto t = random_affine({48, 256, 256}, {2.5, 0.75, 0.75}, o, seeded(seed));
    for (int i = 0; i < 3; ++i) {
      EXPECT_LE(std::abs(t.shift[i]), o.max_shift_voxels[i]) << "axis " << i << " seed " << seed;
      largest[i] = std::max(largest[i], std::abs(t.shift[i]));
    }
  }
  // Uniform over the range: 200 draws come within 10 % of each bound (fails if the fraction were still used,
  // which allows 0.3 × 256 = 77 voxels, or if the shift were not drawn at all).
  EXPECT_GT(largest[0], 3.6);
  EXPECT_GT(largest[1], 18.0);
  EXPECT_EQ(largest[2], 0.0);
  // Without shift_voxels the same seed draws the same shift as a fraction of the size.
  AugmentOptions fraction = o;
  fraction.max_shift_voxels.clear();
  fraction.max_shift_fraction = 0.3;
  const auto t = random_affine({48, 256, 256}, {2.5, 0.75, 0.75}, fraction, seeded(3));
  EXPECT_GT(std::abs(t.shift[1]) + std::abs(t.shift[2]), 0.0);
  for (int i = 0; i < 3; ++i) EXPECT_LE(std::abs(t.shift[i]), 0.3 * (i == 0 ? 48 : 256));
}

TEST(Augment, RescaleAndGamma) {
  const at::Tensor x = torch::stack({torch::linspace(2, 4, 5), torch::full({5}, 7.0)});
  const at::Tensor r = rescale_intensity(x);
  EXPECT_TRUE(torch::allclose(r[0], torch::linspace(0, 1, 5)));
  EXPECT_TRUE(torch::all(r[1] == 0).item<bool>());
  AugmentOptions always;
  always.probability = 1.0;
  const at::Tensor g = random_gamma(torch::full({1, 3}, 0.25), always, seeded(2));
  const double gamma = std::log(g[0][0].item<double>()) / std::log(0.25);
  EXPECT_GE(gamma, std::exp(-0.3) - 1e-6);
  EXPECT_LE(gamma, std::exp(0.3) + 1e-6);
}

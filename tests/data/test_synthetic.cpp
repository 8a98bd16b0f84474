#include "diffseg/data/synthetic.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/io/case_loader.h"
#include "diffseg/io/image_stats.h"
#include "io/io_test_util.h"
#include "test_util.h"

using namespace diffseg;

namespace {
data::SyntheticOptions small(int dims, uint64_t seed) {
  data::SyntheticOptions o;
  o.dims = dims;
  o.seed = seed;
  o.size = dims == 2 ? std::array<int64_t, 3>{48, 40, 1} : std::array<int64_t, 3>{32, 28, 16};
  return o;
}

// Best Dice any single intensity interval [lo, hi] achieves for one class (exhaustive over 64 quantiles).
double best_interval_dice(const at::Tensor& image, const at::Tensor& mask) {
  const at::Tensor v = image.flatten(), m = mask.flatten().to(torch::kBool);
  const at::Tensor q = torch::quantile(v, torch::linspace(0, 1, 65, torch::kFloat));
  const double target = m.sum().item<double>();
  double best = 0;
  for (int i = 0; i < 64; ++i)
    for (int j = i + 1; j <= 64; ++j) {
      const at::Tensor sel = (v >= q[i]) & (v <= q[j]);
      const double inter = (sel & m).sum().item<double>();
      best = std::max(best, 2 * inter / (sel.sum().item<double>() + target));
    }
  return best;
}
}  // namespace

TEST(Synthetic, SameSeedSameCaseDifferentSeedDifferentCase) {
  for (int dims : {2, 3}) {
    const auto a = data::make_synthetic_case(small(dims, 5), 3);
    const auto b = data::make_synthetic_case(small(dims, 5), 3);
    const auto c = data::make_synthetic_case(small(dims, 6), 3);
    const auto d = data::make_synthetic_case(small(dims, 5), 4);
    EXPECT_TRUE(test::same_voxels(a.image, b.image));
    EXPECT_TRUE(test::same_voxels(a.label, b.label));
    EXPECT_FALSE(test::same_voxels(a.image, c.image));
    EXPECT_FALSE(test::same_voxels(a.label, d.label));
  }
}

TEST(Synthetic, EveryClassPresentValuesInRangeAndAnisotropic3D) {
  auto o = small(3, 1);
  o.foreground_classes = 4;
  for (int i = 0; i < 4; ++i) {
    const auto c = data::make_synthetic_case(o, i);
    const io::ImageStats ls = io::compute_stats(c.label);
    ASSERT_EQ(ls.value_counts.size(), 5u) << "case " << i;
    EXPECT_EQ(ls.value_counts.rbegin()->first, 4);
    const io::ImageStats is = io::compute_stats(c.image);
    EXPECT_GE(is.min, 0.0);
    EXPECT_LE(is.max, 1.0);
    EXPECT_EQ(c.image.size().x, 32);
    EXPECT_EQ(c.image.size().z, 16);
    EXPECT_DOUBLE_EQ(c.image.geometry().spacing[2], 2.0);
    EXPECT_TRUE(c.label.geometry().approx_equal(c.image.geometry()));
  }
}

// The data must need more than a threshold: for each class, the best single intensity window is far from a
// perfect segmentation (averaged over a few cases), and the class with the background's mean is hopeless.
TEST(Synthetic, ThresholdingDoesNotSolveIt) {
  auto o = small(2, 11);
  o.size = {64, 64, 1};
  std::vector<double> mean_best(4, 0.0);
  const int n = 4;
  for (int i = 0; i < n; ++i) {
    const auto c = data::make_synthetic_case(o, i);
    const at::Tensor img = data::to_tensor(c.image), lab = data::to_tensor(c.label);
    for (int k = 1; k <= 3; ++k) mean_best[k] += best_interval_dice(img, lab == k) / n;
  }
  const double overall = (mean_best[1] + mean_best[2] + mean_best[3]) / 3;
  EXPECT_LT(overall, 0.8) << mean_best[1] << " " << mean_best[2] << " " << mean_best[3];
  EXPECT_LT(mean_best[3], 0.6);  // class 3 has the background's mean intensity
}

TEST(Synthetic, WritesALoadableDatasetWithSplits) {
  test::TempDir dir;
  auto o = small(3, 2);
  o.cases = 10;
  const io::Dataset written = data::write_synthetic_dataset(dir.path(), o);
  const io::Dataset d = io::read_dataset(dir.path());
  EXPECT_EQ(d.training.size(), 6u);
  EXPECT_EQ(d.validation.size(), 2u);
  EXPECT_EQ(d.test.size(), 2u);
  EXPECT_EQ(d.num_classes(), 4);
  const io::Case c = io::load_case(d, d.test.back());
  const auto direct = data::make_synthetic_case(o, 9);
  EXPECT_TRUE(test::same_voxels(c.label, direct.label));
  EXPECT_TRUE(test::same_affine(c.image.geometry(), direct.image.geometry(), 1e-5));
}

TEST(Synthetic, RejectsImpossibleOptions) {
  auto o = small(2, 0);
  o.size = {4, 4, 1};
  EXPECT_THROW(data::make_synthetic_case(o, 0), UsageError);
  o = small(2, 0);
  o.dims = 4;
  EXPECT_THROW(data::make_synthetic_case(o, 0), UsageError);
}

#include "diffseg/model/hash_dropout.h"

#include <gtest/gtest.h>

#include "diffseg/model/fused_norm_act.h"

using namespace diffseg::model;

TEST(HashDropout, DropsTheRequestedFractionAndRescalesTheRest) {
  const torch::Tensor x = torch::rand({4, 16, 64, 64}) + 0.5;  // no zeros in the input
  for (double p : {0.1, 0.5}) {
    const torch::Tensor y = hash_dropout(x, p, 1234);
    const double dropped = y.eq(0).to(torch::kDouble).mean().item<double>();
    EXPECT_NEAR(dropped, p, 0.005) << "p " << p;  // 262,144 elements: binomial sd < 0.001
    const torch::Tensor kept = y.ne(0);
    EXPECT_TRUE(torch::allclose(y.masked_select(kept), x.masked_select(kept) / (1 - p)));
    // Unbiased: the mean is preserved.
    EXPECT_NEAR(y.mean().item<double>(), x.mean().item<double>(), 0.01);
  }
}

TEST(HashDropout, SeedFixesTheMaskAndMasksAreUncorrelated) {
  const torch::Tensor x = torch::ones({100000});
  const torch::Tensor a = hash_dropout(x, 0.5, 7), b = hash_dropout(x, 0.5, 7), c = hash_dropout(x, 0.5, 8);
  EXPECT_TRUE(torch::equal(a, b));
  const double agree = a.ne(0).eq(c.ne(0)).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(agree, 0.5, 0.01);  // independent masks agree half of the time at p = 0.5
  // Neighbouring elements are not correlated either.
  const torch::Tensor m = a.ne(0).to(torch::kDouble);
  const double lag1 = (m.narrow(0, 0, 99999) * m.narrow(0, 1, 99999)).mean().item<double>();
  EXPECT_NEAR(lag1, 0.25, 0.01);
}

TEST(HashDropout, GradientIsTheSameMaskAndScale) {
  const torch::Tensor x = (torch::rand({3, 5, 7}) + 0.5).requires_grad_();
  const torch::Tensor w = torch::randn({3, 5, 7});
  const torch::Tensor y = hash_dropout(x, 0.3, 99);
  (y * w).sum().backward();
  // d(sum(w * x * mask / (1-p)))/dx = w * mask / (1-p) = w * y / x.
  EXPECT_TRUE(torch::allclose(x.grad(), w * y.detach() / x.detach(), 1e-5, 1e-6));
}

TEST(HashDropout, ModuleIsIdentityInEvalAndSeededByTheGenerator) {
  HashDropout d(0.2);
  const torch::Tensor x = torch::rand({1000}) + 1;
  d->eval();
  EXPECT_TRUE(torch::equal(d(x), x));
  d->train();
  torch::manual_seed(5);
  const torch::Tensor a = d(x);
  torch::manual_seed(5);
  EXPECT_TRUE(torch::equal(d(x), a));
  EXPECT_FALSE(torch::equal(d(x), a));  // the next call draws a new seed
  const torch::Tensor bf = d(x.to(torch::kBFloat16));
  EXPECT_EQ(bf.scalar_type(), torch::kBFloat16);
}

// A sample's mask depends on its global index, not on its position in this process's slice of the batch: the
// slice starting at sample 2 gets rows 2.. of the whole batch's masks, in hash dropout and in the fused kernel.
TEST(HashDropout, MaskFollowsTheGlobalSampleIndex) {
  const torch::Tensor x = torch::ones({4, 3, 5, 7});
  const torch::Tensor whole = diffseg::model::hash_dropout(x, 0.3, 99);
  const torch::Tensor slice = diffseg::model::hash_dropout(x.narrow(0, 0, 2), 0.3, 99, 2);
  EXPECT_TRUE(torch::equal(slice, whole.narrow(0, 2, 2)));
  EXPECT_FALSE(torch::equal(slice, whole.narrow(0, 0, 2)));
  diffseg::model::NormActOptions o;
  o.dropout = 0.3;
  o.seed = 99;
  const torch::Tensor h = torch::randn({4, 3, 5, 7}), w = torch::ones({3}), b = torch::zeros({3});
  const torch::Tensor fused_whole = diffseg::model::norm_act(h, w, b, o);
  o.first_sample = 2;
  const torch::Tensor fused_slice = diffseg::model::norm_act(h.narrow(0, 2, 2).contiguous(), w, b, o);
  EXPECT_TRUE(torch::allclose(fused_slice, fused_whole.narrow(0, 2, 2), 1e-5, 1e-6));
  {
    diffseg::model::DropoutSampleScope scope(5);
    EXPECT_EQ(diffseg::model::dropout_first_sample(), 5);
  }
  EXPECT_EQ(diffseg::model::dropout_first_sample(), 0);
}

#include "diffseg/model/hash_dropout.h"

#include <gtest/gtest.h>

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

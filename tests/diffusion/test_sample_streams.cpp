#include "diffseg/diffusion/sample_streams.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using diffseg::diffusion::SampleStreams;

// Sample j's draws are the same whichever slice of the global batch it is drawn in.
TEST(SampleStreams, DrawsFollowTheGlobalSampleIndex) {
  SampleStreams whole(3, 10, 0, 4), tail(3, 10, 2, 2);
  const at::Tensor nw = whole.normal({4, 2, 3}, torch::kCPU), nt = tail.normal({2, 2, 3}, torch::kCPU);
  EXPECT_TRUE(torch::equal(nt, nw.narrow(0, 2, 2)));
  const at::Tensor iw = whole.integers(0, 1000), it = tail.integers(0, 1000);
  EXPECT_TRUE(torch::equal(it, iw.narrow(0, 2, 2)));
  const at::Tensor uw = whole.uniform(), ut = tail.uniform();
  EXPECT_TRUE(torch::equal(ut, uw.narrow(0, 2, 2)));
  // Another step, another draw or another sample: other numbers.
  SampleStreams next_step(3, 11, 0, 4);
  EXPECT_FALSE(torch::equal(next_step.normal({4, 2, 3}, torch::kCPU), nw));
  EXPECT_FALSE(torch::equal(nw[0], nw[1]));
  EXPECT_FALSE(torch::equal(whole.normal({4, 2, 3}, torch::kCPU), nw));  // the draw counter moved on
}

TEST(SampleStreams, ScalarDrawsHaveTheirDistributions) {
  SampleStreams s = SampleStreams::from_seed(1, 200000);
  const at::Tensor u = s.uniform().to(torch::kDouble);
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 0.003);
  EXPECT_NEAR(u.var().item<double>(), 1.0 / 12.0, 0.001);
  EXPECT_GE(u.min().item<double>(), 0.0);
  EXPECT_LT(u.max().item<double>(), 1.0);
  const at::Tensor k = s.integers(3, 8);
  EXPECT_EQ(k.min().item<int64_t>(), 3);
  EXPECT_EQ(k.max().item<int64_t>(), 7);
  const at::Tensor p = torch::tensor({0.5, 0.0, 0.2, 0.3}, torch::kDouble);
  const at::Tensor c = s.categorical(p);
  const at::Tensor freq = torch::bincount(c, {}, 4).to(torch::kDouble) / 200000.0;
  EXPECT_TRUE(torch::allclose(freq, p, 0, 0.005)) << freq;
  EXPECT_EQ(freq[1].item<double>(), 0.0);  // probability zero is never drawn
  const at::Tensor n = s.normal({200000, 1}, torch::kCPU);
  EXPECT_NEAR(n.mean().item<float>(), 0.0f, 0.01f);
  EXPECT_NEAR(n.std().item<float>(), 1.0f, 0.01f);
}

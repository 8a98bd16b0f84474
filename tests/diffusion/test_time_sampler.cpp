#include "diffseg/diffusion/time_sampler.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"

using namespace diffseg::diffusion;

namespace {
// n draws from one sampler, each sample with its own stream.
TimeSample draw(TimeSampler& s, int64_t n, int64_t t_min, int64_t t_max, uint64_t seed) {
  SampleStreams streams = SampleStreams::from_seed(seed, n);
  return s.sample(t_min, t_max, streams);
}
}  // namespace

TEST(TimeSampler, UniformStaysInRangeWithUnitWeight) {
  UniformTimeSampler s(10);
  const TimeSample x = draw(s, 5000, 2, 7, 0);
  EXPECT_GE(x.t.min().item<int64_t>(), 2);
  EXPECT_LE(x.t.max().item<int64_t>(), 6);
  EXPECT_EQ(torch::bincount(x.t, {}, 10).gt(0).sum().item<int64_t>(), 5);  // all five values occur
  EXPECT_TRUE(torch::all(x.weight == 1).item<bool>());
  EXPECT_NEAR(x.probability[0].item<double>(), 0.1, 1e-15);
  EXPECT_THROW(draw(s, 1, 5, 5, 0), diffseg::UsageError);
}

// Warm-up: p ∝ max(10 - count, 0). With counts {10, 10, 0, 10} only index 2 can be drawn.
TEST(TimeSampler, ImportanceWarmupDrawsUnderSampledIndices) {
  ImportanceTimeSampler s(4, ImportanceWeight::reference);
  auto st = s.state();
  st["count"] = torch::tensor({10, 10, 0, 10}, torch::kLong);
  s.load_state(st);
  const TimeSample x = draw(s, 200, 0, 4, 1);
  EXPECT_TRUE(torch::all(x.t == 2).item<bool>());
  EXPECT_TRUE(torch::all(x.weight == 1).item<bool>());
  EXPECT_NEAR(x.probability[0].item<double>(), 0.25, 1e-15);
}

// After warm-up: p = 0.99 sqrt(loss_sq)/sum + 0.01/T; empirical frequencies follow it; weights per mode.
TEST(TimeSampler, ImportanceFollowsLossHistoryWithBothWeightModes) {
  for (ImportanceWeight mode : {ImportanceWeight::reference, ImportanceWeight::unbiased}) {
    ImportanceTimeSampler s(4, mode);
    s.load_state({{"count", torch::full({4}, 20, torch::kLong)},
                  {"loss_sq", torch::tensor({1.0, 4.0, 9.0, 0.0}, torch::kDouble)}});
    const at::Tensor p = 0.99 * torch::tensor({1.0, 2.0, 3.0, 0.0}, torch::kDouble) / 6.0 + 0.01 / 4;
    const int64_t n = 200000;
    const TimeSample x = draw(s, n, 0, 4, 2);
    const at::Tensor freq = torch::bincount(x.t, {}, 4).to(torch::kDouble) / n;
    EXPECT_TRUE(torch::allclose(freq, p, 0, 0.005)) << freq;
    const int64_t i = 0;
    const int64_t t = x.t[i].item<int64_t>();
    EXPECT_NEAR(x.probability[i].item<double>(), p[t].item<double>(), 1e-12);
    const double expected = mode == ImportanceWeight::reference ? p[t].item<double>() * 4 : 1.0 / (p[t].item<double>() * 4);
    EXPECT_NEAR(x.weight[i].item<float>(), expected, 1e-5);
  }
}

// With a restricted range the unbiased weight uses the renormalised draw probability: E[w] over draws = 1.
TEST(TimeSampler, UnbiasedWeightsAverageToOneOnARange) {
  ImportanceTimeSampler s(5, ImportanceWeight::unbiased);
  s.load_state({{"count", torch::full({5}, 50, torch::kLong)},
                {"loss_sq", torch::tensor({1.0, 2.0, 5.0, 0.5, 9.0}, torch::kDouble)}});
  const TimeSample x = draw(s, 400000, 1, 4, 3);
  EXPECT_GE(x.t.min().item<int64_t>(), 1);
  EXPECT_LE(x.t.max().item<int64_t>(), 3);
  EXPECT_NEAR(x.weight.to(torch::kDouble).mean().item<double>(), 1.0, 0.01);
}

TEST(TimeSampler, UpdateIsMovingAverageAndLastDuplicateWins) {
  ImportanceTimeSampler s(3, ImportanceWeight::unbiased);
  s.load_state({{"count", torch::tensor({0, 0, 0}, torch::kLong)},
                {"loss_sq", torch::tensor({1.0, 1.0, 1.0}, torch::kDouble)}});
  s.update(torch::tensor({1, 1, 2}, torch::kLong), torch::tensor({2.0, 3.0, 1.0}));
  const auto st = s.state();
  // index 1: both writes start from the old value 1.0; the last (loss 3) wins: 0.1*9 + 0.9*1.
  EXPECT_NEAR(st.at("loss_sq")[1].item<double>(), 0.9 + 0.9, 1e-12);
  EXPECT_NEAR(st.at("loss_sq")[2].item<double>(), 0.1 + 0.9, 1e-12);
  EXPECT_NEAR(st.at("loss_sq")[0].item<double>(), 1.0, 1e-12);
  EXPECT_TRUE(torch::equal(st.at("count"), torch::tensor({0, 2, 1}, torch::kLong)));
}

TEST(TimeSampler, StateRoundTripsAndIsChecked) {
  ImportanceTimeSampler a(6, ImportanceWeight::unbiased);
  a.update(torch::tensor({0, 5}, torch::kLong), torch::tensor({0.5, 1.5}));
  ImportanceTimeSampler b(6, ImportanceWeight::unbiased);
  b.load_state(a.state());
  EXPECT_TRUE(torch::equal(a.state().at("loss_sq"), b.state().at("loss_sq")));
  EXPECT_TRUE(torch::equal(a.state().at("count"), b.state().at("count")));
  ImportanceTimeSampler c(7, ImportanceWeight::unbiased);
  EXPECT_THROW(c.load_state(a.state()), diffseg::Error);
  EXPECT_THROW(make_time_sampler({"importance", "inverse"}, 5), diffseg::UsageError);
  EXPECT_NE(dynamic_cast<UniformTimeSampler*>(make_time_sampler({}, 5).get()), nullptr);
}

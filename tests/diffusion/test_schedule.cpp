#include "diffseg/diffusion/schedule.h"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/diffusion/gaussian_diffusion.h"

using namespace diffseg::diffusion;

namespace {
ScheduleOptions named(BetaSchedule s, int64_t n = 1001) {
  ScheduleOptions o;
  o.name = s;
  o.num_timesteps = n;
  o.schedule_points = n;
  return o;
}
double f(double s) { return std::pow(std::cos((s + 0.008) / 1.008 * std::numbers::pi / 2), 2); }
}  // namespace

TEST(Schedule, LinearEndpointsAndMiddle) {
  const auto b = make_betas(named(BetaSchedule::linear));
  ASSERT_EQ(b.size(), 1001u);
  EXPECT_DOUBLE_EQ(b[0], 1e-4);
  EXPECT_NEAR(b[1000], 0.02, 1e-15);
  EXPECT_NEAR(b[500], (1e-4 + 0.02) / 2, 1e-15);
  EXPECT_NEAR(b[1], 1e-4 + 0.0199 / 1000, 1e-15);
}

TEST(Schedule, QuadraticIsSquaredLinearInRoot) {
  const auto b = make_betas(named(BetaSchedule::quadratic));
  EXPECT_NEAR(b[0], 1e-4, 1e-15);
  EXPECT_NEAR(b[1000], 0.02, 1e-15);
  const double mid = (std::sqrt(1e-4) + std::sqrt(0.02)) / 2;
  EXPECT_NEAR(b[500], mid * mid, 1e-15);
  EXPECT_EQ(parse_beta_schedule("quadradic"), BetaSchedule::quadratic);  // the reference's spelling
}

// Standard cosine: abar_t = f((t+1)/T) / f(0) in closed form, as long as no beta hits the 0.999 cap.
TEST(Schedule, CosineMatchesClosedForm) {
  const int64_t T = 1000;
  const GaussianDiffusion d(make_betas(named(BetaSchedule::cosine, T)));
  for (int64_t t : {0, 1, 10, 250, 500, 900}) {
    const double expected = f(static_cast<double>(t + 1) / T) / f(0.0);
    EXPECT_NEAR(d.alphas_cumprod()[t], expected, 1e-12) << "t=" << t;
  }
  EXPECT_LE(d.betas().back(), 0.999);
}

TEST(Schedule, CosineReferenceVariant) {
  const auto b = make_betas(named(BetaSchedule::cosine_reference, 11));
  EXPECT_DOUBLE_EQ(b[0], 1e-4);  // 0 rescaled
  for (int i = 1; i < 11; ++i) EXPECT_NEAR(b[i], (1 - f(i / 10.0)) * (0.02 - 1e-4) + 1e-4, 1e-15);
}

TEST(Schedule, WarmupRampsThenStaysAtEnd) {
  const auto b = make_betas(named(BetaSchedule::warmup10, 1001));
  EXPECT_NEAR(b[0], 1e-4, 1e-15);
  EXPECT_NEAR(b[99], 0.02, 1e-15);  // 100 warm-up betas, last = end
  for (size_t i = 100; i < b.size(); ++i) ASSERT_EQ(b[i], 0.02);
  const auto h = make_betas(named(BetaSchedule::warmup50, 10));
  EXPECT_NEAR(h[4], 0.02, 1e-15);
  EXPECT_LT(h[3], 0.02);
}

TEST(Schedule, CumulativeProductsStrictlyDecrease) {
  for (BetaSchedule s : {BetaSchedule::linear, BetaSchedule::quadratic, BetaSchedule::cosine,
                         BetaSchedule::cosine_reference, BetaSchedule::warmup10, BetaSchedule::warmup50}) {
    const GaussianDiffusion d(make_betas(named(s)));
    for (size_t i = 1; i < d.alphas_cumprod().size(); ++i)
      ASSERT_LT(d.alphas_cumprod()[i], d.alphas_cumprod()[i - 1]) << to_string(s) << " i=" << i;
  }
}

TEST(Schedule, InferenceIndices) {
  EXPECT_EQ(inference_indices(1001, 5), (std::vector<int64_t>{0, 250, 500, 750, 1000}));
  EXPECT_EQ(inference_indices(1001, 1), (std::vector<int64_t>{1000}));
  const auto ten = inference_indices(1001, 10);
  ASSERT_EQ(ten.size(), 10u);
  EXPECT_EQ(ten.front(), 0);
  EXPECT_EQ(ten.back(), 1000);
  EXPECT_EQ(ten[1], 111);  // round(1000/9)
  const auto all = inference_indices(1001, 1001);
  for (int64_t i = 0; i < 1001; ++i) ASSERT_EQ(all[i], i);
  EXPECT_THROW(inference_indices(1001, 0), diffseg::UsageError);
  EXPECT_THROW(inference_indices(5, 6), diffseg::UsageError);
}

// docs/method.md (Respacing) gives the 5-step chain of the linear schedule to 5 significant digits.
TEST(Schedule, FiveStepRespacingMatchesDesignNumbers) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({}).respaced(inference_indices(1001, 5));
  const double abar[] = {0.9999, 0.52175, 0.077992, 0.0033189, 3.9952e-5};
  const double beta[] = {1.0e-4, 0.47820, 0.85052, 0.95745, 0.98796};
  const double post[] = {0, 9.999e-5, 0.44117, 0.88571, 0.98472};
  for (int k = 0; k < 5; ++k) {
    EXPECT_NEAR(d.alphas_cumprod()[k] / abar[k], 1.0, 5e-5) << k;
    EXPECT_NEAR(d.betas()[k] / beta[k], 1.0, 5e-5) << k;
    if (k > 0) {
      EXPECT_NEAR(d.posterior_variance()[k] / post[k], 1.0, 5e-5) << k;
    }
  }
  EXPECT_EQ(d.posterior_variance()[0], 0.0);
  EXPECT_EQ(d.training_indices(), (std::vector<int64_t>{0, 250, 500, 750, 1000}));
}

// A training chain shorter than its schedule is the respaced chain (5 of 1001, the paper-era training setting), and
// that chain is the network's time grid: (k + 1) / T, not the 1001-point times.
TEST(Schedule, ShorterTrainingChainIsRespacedFromTheSchedule) {
  ScheduleOptions five;
  five.num_timesteps = 5;
  const GaussianDiffusion chain(make_betas(five));
  const GaussianDiffusion respaced = GaussianDiffusion::from_schedule({}).respaced(inference_indices(1001, 5));
  ASSERT_EQ(chain.num_timesteps(), 5);
  for (int k = 0; k < 5; ++k) {
    EXPECT_NEAR(chain.alphas_cumprod()[k], respaced.alphas_cumprod()[k], 1e-15) << k;
    EXPECT_NEAR(chain.betas()[k], respaced.betas()[k], 1e-15) << k;
  }
  EXPECT_NEAR(chain.alphas_cumprod()[4], 3.9952e-5, 1e-8);  // far from linspace(1e-4, 0.02, 5)'s abar_T = 0.95
  EXPECT_EQ(chain.training_timesteps(), 5);
  const auto time = chain.model_time(torch::arange(5, torch::kLong));
  for (int k = 0; k < 5; ++k) EXPECT_FLOAT_EQ(time[k].item<float>(), static_cast<float>(k + 1) / 5.0f) << k;
  // A different schedule length is asked for explicitly; a longer chain than its schedule is refused.
  ScheduleOptions own = five;
  own.schedule_points = 5;
  EXPECT_NEAR(make_betas(own)[4], 0.02, 1e-15);
  ScheduleOptions longer;
  longer.num_timesteps = 2001;
  EXPECT_THROW(make_betas(longer), diffseg::UsageError);
}

TEST(Schedule, RejectsBadOptions) {
  ScheduleOptions o;
  o.beta_end = 1e-5;
  EXPECT_THROW(make_betas(o), diffseg::UsageError);
  o = {};
  o.num_timesteps = 1;
  EXPECT_THROW(make_betas(o), diffseg::UsageError);
  o = {};
  o.schedule_points = 1;
  o.num_timesteps = 1;
  EXPECT_THROW(make_betas(o), diffseg::UsageError);
  EXPECT_THROW(parse_beta_schedule("sigmoid"), diffseg::UsageError);
}

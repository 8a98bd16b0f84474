#include "diffseg/diffusion/gaussian_diffusion.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/diffusion/mask_space.h"

using namespace diffseg::diffusion;

namespace {
at::Tensor idx(std::vector<int64_t> v) { return torch::tensor(v, torch::kLong); }
}  // namespace

// Over many draws, x_t has mean sqrt(abar_t) x0 and variance 1 - abar_t per element.
TEST(GaussianDiffusion, QSampleMomentsMatch) {
  torch::manual_seed(0);
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const int64_t n = 200000;
  for (int64_t t : {0, 100, 500, 1000}) {
    const at::Tensor x0 = torch::where(torch::arange(n) % 2 == 0, 1.0, -1.0).to(torch::kDouble).view({n, 1});
    const at::Tensor noise = torch::randn({n, 1}, torch::kDouble);
    const at::Tensor xt = d.q_sample(x0, torch::full({n}, t, torch::kLong), noise);
    const double abar = d.alphas_cumprod()[t];
    const at::Tensor resid = xt - std::sqrt(abar) * x0;
    EXPECT_NEAR(resid.mean().item<double>(), 0.0, 5.0 * std::sqrt((1 - abar) / n)) << t;
    EXPECT_NEAR(resid.var().item<double>() / (1 - abar), 1.0, 0.015) << t;
    // mean of x_t for x0 = +1 samples
    EXPECT_NEAR(xt.index({torch::indexing::Slice(0, n, 2)}).mean().item<double>(), std::sqrt(abar),
                6.0 * std::sqrt((1 - abar) / (n / 2)))
        << t;
  }
}

// Bayes' rule for Gaussians: prior x_{t-1} ~ N(sqrt(abar_{t-1}) x0, 1 - abar_{t-1}), likelihood
// x_t | x_{t-1} ~ N(sqrt(alpha_t) x_{t-1}, beta_t). Posterior precision and mean from those, in float64.
TEST(GaussianDiffusion, PosteriorEqualsBayesRule) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const at::Tensor x0 = torch::linspace(-1, 1, 7, torch::kDouble).view({7, 1});
  const at::Tensor xt = torch::linspace(-2, 1.5, 7, torch::kDouble).view({7, 1});
  for (int64_t t : {1, 2, 37, 500, 999, 1000}) {
    const double beta = d.betas()[t], alpha = 1 - beta, abar_prev = d.alphas_cumprod_prev()[t];
    const double precision = 1.0 / (1.0 - abar_prev) + alpha / beta;
    const double var = 1.0 / precision;
    const at::Tensor mean = var * (std::sqrt(abar_prev) * x0 / (1 - abar_prev) + std::sqrt(alpha) * xt / beta);
    const Posterior p = d.posterior(x0, xt, torch::full({7}, t, torch::kLong));
    EXPECT_TRUE(torch::allclose(p.mean, mean, 1e-10, 1e-12)) << t;
    EXPECT_NEAR(p.variance[0].item<double>() / var, 1.0, 1e-10) << t;
    EXPECT_NEAR(p.log_variance[0].item<double>(), std::log(var), 1e-10) << t;
  }
  // t = 0: the mean is x0 itself and the log-variance is clipped to t = 1's.
  const Posterior p0 = d.posterior(x0, xt, torch::zeros({7}, torch::kLong));
  EXPECT_TRUE(torch::allclose(p0.mean, x0, 0, 1e-12));
  EXPECT_NEAR(p0.log_variance[0].item<double>(), std::log(d.posterior_variance()[1]), 1e-12);
}

TEST(GaussianDiffusion, NoiseAndX0ParameterisationsRoundTrip) {
  torch::manual_seed(1);
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({}, ModelOutput::noise);
  const at::Tensor x0 = torch::rand({4, 3, 5, 5}, torch::kDouble) * 2 - 1;
  const at::Tensor eps = torch::randn({4, 3, 5, 5}, torch::kDouble);
  const at::Tensor t = idx({0, 10, 600, 1000});
  const at::Tensor xt = d.q_sample(x0, t, eps);
  // eps → x0 (noise parameterisation) → eps
  EXPECT_TRUE(torch::allclose(d.predict_x0(eps, xt, t), x0, 1e-8, 1e-8));
  EXPECT_TRUE(torch::allclose(d.noise_from_x0(xt, x0, t), eps, 1e-6, 1e-6));
  // ε-prediction logits for the loss are x_to_logits of the (clipped) x0.
  EXPECT_TRUE(torch::allclose(d.logits_for_loss(eps, xt, t), x_to_logits(x0), 1e-8, 1e-8));
}

TEST(GaussianDiffusion, XStartOutputIsTwoSoftmaxMinusOne) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const at::Tensor logits = torch::tensor({2.0, -1.0, 0.5}, torch::kDouble).view({1, 3, 1});
  const at::Tensor x0 = d.predict_x0(logits, torch::zeros({1, 3, 1}, torch::kDouble), idx({5}));
  const double e0 = std::exp(2.0), e1 = std::exp(-1.0), e2 = std::exp(0.5), s = e0 + e1 + e2;
  EXPECT_NEAR(x0[0][0][0].item<double>(), 2 * e0 / s - 1, 1e-12);
  EXPECT_NEAR(x0[0][2][0].item<double>(), 2 * e2 / s - 1, 1e-12);
  EXPECT_TRUE(torch::equal(d.logits_for_loss(logits, logits, idx({5})), logits));
}

TEST(GaussianDiffusion, ModelTimeUsesTheTrainingGrid) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const GaussianDiffusion five = d.respaced(inference_indices(1001, 5));
  const at::Tensor times = five.model_time(idx({0, 1, 4}));
  EXPECT_FLOAT_EQ(times[0].item<float>(), 1.0f / 1001.0f);
  EXPECT_FLOAT_EQ(times[1].item<float>(), 251.0f / 1001.0f);
  EXPECT_FLOAT_EQ(times[2].item<float>(), 1.0f);
}

TEST(MaskSpace, ConversionsBetweenLabelsMasksAndX) {
  const at::Tensor labels = torch::tensor({0, 2, 1, 2}, torch::kLong).view({1, 2, 2});
  const at::Tensor x = labels_to_x(labels, 3);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{1, 3, 2, 2}));
  EXPECT_EQ(x[0][2][0][1].item<float>(), 1.0f);
  EXPECT_EQ(x[0][0][0][1].item<float>(), -1.0f);
  EXPECT_TRUE(torch::equal(x.argmax(1), labels));
  EXPECT_TRUE(torch::equal(mask_to_x(x_to_mask(x)), x));
  const at::Tensor noisy = torch::tensor({-3.0, -1.0, 0.0, 0.5, 2.0});
  EXPECT_TRUE(torch::allclose(x_to_mask(noisy), torch::tensor({0.0, 0.0, 0.5, 0.75, 1.0})));
  const at::Tensor lg = x_to_logits(torch::tensor({-1.0, 0.0, 1.0}));
  EXPECT_NEAR(lg[0].item<float>(), std::log(1e-5), 1e-4);
  EXPECT_NEAR(lg[1].item<float>(), std::log(0.5), 1e-6);
  EXPECT_NEAR(lg[2].item<float>(), 0.0, 1e-7);
}

#include "diffseg/diffusion/sampler.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/diffusion/mask_space.h"

using namespace diffseg::diffusion;

namespace {

at::Generator seeded(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// A ground-truth mask for 2 images of 3 classes on 6x5.
at::Tensor truth_x0() {
  const at::Tensor labels = (torch::arange(60, torch::kLong).view({2, 6, 5}) * 7) % 3;
  return labels_to_x(labels, 3);
}

// An oracle network (x_start parameterisation): logits log(onehot), so 2 softmax - 1 is exactly x0.
Denoiser oracle(const at::Tensor& x0, std::vector<float>* times = nullptr) {
  return [x0, times](const at::Tensor&, const at::Tensor&, const at::Tensor& t) {
    if (times) times->push_back(t[0].item<float>());
    return ((x0 + 1) / 2).log();
  };
}

}  // namespace

TEST(Sampler, DdimWithOracleReturnsX0AtEveryStep) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const at::Tensor x0 = truth_x0();
  SamplerOptions o;
  o.kind = SamplerKind::ddim;
  const SamplingResult r = sample(d, oracle(x0), x0.sizes(), o, seeded(0));
  ASSERT_EQ(r.x0_probabilities.size(), 5u);
  for (const at::Tensor& p : r.x0_probabilities) EXPECT_TRUE(torch::allclose(p, (x0 + 1) / 2, 0, 1e-6));
  EXPECT_TRUE(torch::allclose(r.final_x, x0, 0, 1e-5));
}

TEST(Sampler, DdpmFinalStepReturnsX0) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const at::Tensor x0 = truth_x0();
  SamplerOptions o;
  const SamplingResult r = sample(d, oracle(x0), x0.sizes(), o, seeded(3));
  EXPECT_TRUE(torch::allclose(r.final_x, x0, 0, 1e-5));
  EXPECT_TRUE(torch::allclose(r.x0_probabilities.back(), (x0 + 1) / 2, 0, 1e-6));
}

// Visited timesteps: noisiest first, in the number asked for, on the training grid.
TEST(Sampler, VisitsTheRequestedTimestepsInOrder) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const at::Tensor x0 = truth_x0();
  for (int64_t steps : {1, 5, 10, 1001}) {
    SamplerOptions o;
    o.kind = SamplerKind::ddim;
    o.steps = steps;
    std::vector<float> times;
    const SamplingResult r = sample(d, oracle(x0, &times), x0.sizes(), o, seeded(0));
    ASSERT_EQ(static_cast<int64_t>(r.training_indices.size()), steps);
    ASSERT_EQ(static_cast<int64_t>(times.size()), steps);
    std::vector<int64_t> expected = inference_indices(1001, steps);
    std::reverse(expected.begin(), expected.end());
    EXPECT_EQ(r.training_indices, expected) << steps;
    for (int64_t k = 0; k < steps; ++k)
      ASSERT_FLOAT_EQ(times[k], static_cast<float>(expected[k] + 1) / 1001.0f) << steps << " step " << k;
    EXPECT_TRUE(torch::allclose(r.final_x, x0, 0, 1e-4)) << steps;
  }
}

TEST(Sampler, ReferenceTimeInputUsesTheInferenceGrid) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const at::Tensor x0 = truth_x0();
  SamplerOptions o;
  o.time_input = TimeInput::reference;
  std::vector<float> times;
  sample(d, oracle(x0, &times), x0.sizes(), o, seeded(0));
  EXPECT_EQ(times, (std::vector<float>{1.0f, 0.8f, 0.6f, 0.4f, 0.2f}));
}

// A network that depends on its input: same seed → same chain; another seed → another chain.
TEST(Sampler, SeedFixesTheResult) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const Denoiser net = [](const at::Tensor& m, const at::Tensor&, const at::Tensor& t) {
    return 4.0 * (m - 0.5) + t.view({-1, 1, 1, 1});
  };
  for (SamplerKind kind : {SamplerKind::ddpm, SamplerKind::ddim}) {
    SamplerOptions o;
    o.kind = kind;
    o.eta = kind == SamplerKind::ddim ? 0.5 : 0.0;
    const auto a = sample(d, net, {2, 3, 6, 5}, o, seeded(42));
    const auto b = sample(d, net, {2, 3, 6, 5}, o, seeded(42));
    const auto c = sample(d, net, {2, 3, 6, 5}, o, seeded(43));
    for (size_t k = 0; k < a.x0_probabilities.size(); ++k)
      EXPECT_TRUE(torch::equal(a.x0_probabilities[k], b.x0_probabilities[k]));
    EXPECT_FALSE(torch::equal(a.final_x, c.final_x));
  }
}

TEST(Sampler, SelfConditioningFeedsThePreviousPrediction) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const at::Tensor x0 = truth_x0();
  std::vector<at::Tensor> seen;
  const Denoiser net = [&](const at::Tensor&, const at::Tensor& prev, const at::Tensor&) {
    seen.push_back(prev.clone());
    return ((x0 + 1) / 2).log();
  };
  SamplerOptions o;
  o.self_conditioning = true;
  o.steps = 3;
  sample(d, net, x0.sizes(), o, seeded(0));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(torch::allclose(seen[1], (x0 + 1) / 2, 0, 1e-6));
}

TEST(Sampler, DdimEtaZeroStepIsDeterministicFormula) {
  const GaussianDiffusion chain = GaussianDiffusion::from_schedule({}).respaced(inference_indices(1001, 5));
  const at::Tensor xt = torch::linspace(-1.5, 1.5, 12, torch::kDouble).view({1, 3, 4});
  const at::Tensor x0 = torch::linspace(-0.9, 0.8, 12, torch::kDouble).view({1, 3, 4});
  const int64_t t = 3;
  const double abar = chain.alphas_cumprod()[t], abar_prev = chain.alphas_cumprod_prev()[t];
  const at::Tensor eps = (xt / std::sqrt(abar) - x0) / std::sqrt(1 / abar - 1);
  const at::Tensor expected = std::sqrt(abar_prev) * x0 + std::sqrt(1 - abar_prev) * eps;
  EXPECT_TRUE(torch::allclose(reverse_step(chain, SamplerKind::ddim, 0.0, xt, x0, t, at::Tensor()), expected, 1e-12,
                              1e-12));
}

TEST(Sampler, RejectsBadOptions) {
  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  SamplerOptions o;
  o.steps = 0;
  EXPECT_THROW(sample(d, oracle(truth_x0()), {2, 3, 6, 5}, o, seeded(0)), diffseg::UsageError);
  EXPECT_THROW(parse_sampler("euler"), diffseg::UsageError);
}

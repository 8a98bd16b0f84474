// The mechanics of each strategy, observed through a spy network that records what every pass receives.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/diffusion/mask_space.h"
#include "diffseg/train/strategy.h"

using namespace diffseg;
using namespace diffseg::train;

namespace {

class FixedTime final : public diffusion::TimeSampler {
 public:
  explicit FixedTime(int64_t t) : t_(t) {}
  diffusion::TimeSample sample(int64_t t_min, int64_t t_max, diffusion::SampleStreams& streams) override {
    const int64_t batch = streams.size();
    EXPECT_LT(t_, t_max);
    last_range = {t_min, t_max};
    return {torch::full({batch}, t_, torch::kLong), torch::full({batch}, 0.1, torch::kDouble), torch::ones({batch})};
  }
  void update(const at::Tensor& t, const at::Tensor& loss) override { updates++; }
  std::pair<int64_t, int64_t> last_range;
  int updates = 0;

 private:
  int64_t t_;
};

struct Call {
  at::Tensor mask, time;
  bool grad_enabled;
};

// Spy: records each call; outputs scale * logits where logits favour `first_prediction` on the first call and the
// ground truth afterwards. `scale` is a parameter, so gradients are observable.
struct Spy {
  std::vector<Call> calls;
  at::Tensor scale = torch::ones({1}, torch::requires_grad());
  at::Tensor first_prediction, truth;
  int64_t k;
  at::Tensor operator()(const at::Tensor& image, const at::Tensor& mask, const at::Tensor& time) {
    calls.push_back({mask.defined() ? mask.clone() : mask, time.defined() ? time.clone() : time,
                     at::GradMode::is_enabled()});
    const at::Tensor target = calls.size() == 1 && first_prediction.defined() ? first_prediction : truth;
    return scale * 8.0 * (torch::one_hot(target, k).movedim(-1, 1).to(torch::kFloat) - 0.5);
  }
};

struct Fixture {
  diffusion::GaussianDiffusion diffusion = diffusion::GaussianDiffusion::from_schedule({});
  diffusion::SampleStreams streams = diffusion::SampleStreams::from_seed(0, 2);
  at::Tensor image = torch::rand({2, 1, 6, 6});
  at::Tensor labels = torch::div(torch::arange(72).view({2, 6, 6}), 12, "floor") % 3;  // stripes of classes 0, 1, 2
  Spy spy;
  Fixture() {
    spy.truth = labels;
    spy.k = 3;
  }
  StepResult run(Strategy& s, diffusion::TimeSampler& ts) {
    StepContext ctx{[this](const at::Tensor& x, const at::Tensor& m, const at::Tensor& t) { return spy(x, m, t); },
                    diffusion, ts, streams, LossWeights{}, 3};
    return s.step(ctx, image, labels);
  }
};

}  // namespace

TEST(Strategies, SupervisedIsOnePassWithoutMaskOrTime) {
  Fixture f;
  FixedTime ts(0);
  const StepResult r = f.run(*make_strategy("supervised"), ts);
  ASSERT_EQ(f.spy.calls.size(), 1u);
  EXPECT_FALSE(f.spy.calls[0].mask.defined());
  EXPECT_FALSE(f.spy.calls[0].time.defined());
  EXPECT_EQ(ts.updates, 0);
  r.loss.backward();
  EXPECT_TRUE(f.spy.scale.grad().defined());
}

TEST(Strategies, PlainDiffusionNoisesTheGroundTruth) {
  Fixture f;
  FixedTime ts(0);  // abar_0 = 0.9999: the noisy mask is the ground truth up to small noise
  const StepResult r = f.run(*make_strategy("diffusion"), ts);
  ASSERT_EQ(f.spy.calls.size(), 1u);
  const at::Tensor gt_mask = diffusion::x_to_mask(diffusion::labels_to_x(f.labels, 3));
  EXPECT_LT((f.spy.calls[0].mask - gt_mask).abs().max().item<float>(), 0.1f);
  EXPECT_FLOAT_EQ(f.spy.calls[0].time[0].item<float>(), 1.0f / 1001.0f);
  EXPECT_EQ(ts.last_range, (std::pair<int64_t, int64_t>{0, 1001}));
  EXPECT_EQ(ts.updates, 0);  // the trainer reports the losses after the whole (global) step
  ASSERT_TRUE(r.t.defined());
  EXPECT_TRUE(torch::equal(r.t.cpu(), torch::zeros({2}, torch::kLong)));  // what it reports: the loss pass's t
}

// rec_xT: pass 1 sees pure noise at t = T-1 without gradient; pass 2 sees the *prediction* noised to t (here all
// class 0, unlike the ground truth), with gradient; the loss is against the ground truth.
TEST(Strategies, RecyclingFromPureNoiseUsesThePredictionNotTheGroundTruth) {
  Fixture f;
  f.spy.first_prediction = torch::zeros({2, 6, 6}, torch::kLong);
  FixedTime ts(0);
  const StepResult r = f.run(*make_strategy("rec_xT"), ts);
  ASSERT_EQ(f.spy.calls.size(), 2u);
  EXPECT_FALSE(f.spy.calls[0].grad_enabled);
  EXPECT_TRUE(f.spy.calls[1].grad_enabled);
  EXPECT_FLOAT_EQ(f.spy.calls[0].time[0].item<float>(), 1.0f);              // (T-1+1)/T
  EXPECT_FLOAT_EQ(f.spy.calls[1].time[0].item<float>(), 1.0f / 1001.0f);    // t = 0
  EXPECT_EQ(ts.last_range, (std::pair<int64_t, int64_t>{0, 1000}));        // T-1 excluded
  // Pass 1's input is essentially noise: it does not look like the ground truth.
  const at::Tensor gt_mask = diffusion::x_to_mask(diffusion::labels_to_x(f.labels, 3));
  EXPECT_GT((f.spy.calls[0].mask - gt_mask).abs().mean().item<float>(), 0.3f);
  // Pass 2's mask follows the prediction (class 0 everywhere, soft: 2 softmax - 1 of the spy's logits).
  const at::Tensor predicted = diffusion::x_to_mask(diffusion::logits_to_x(8.0 * (torch::one_hot(f.spy.first_prediction, 3).movedim(-1, 1).to(torch::kFloat) - 0.5)));
  EXPECT_LT((f.spy.calls[1].mask - predicted).abs().max().item<float>(), 0.1f);
  // The spy's second output matches the ground truth, so the loss (against the ground truth) is small.
  EXPECT_LT(r.terms.dice.mean().item<float>(), 0.05f);
  r.loss.backward();
  EXPECT_TRUE(f.spy.scale.grad().defined());
}

TEST(Strategies, RecyclingFromNextLevelUsesTPlusOne) {
  Fixture f;
  FixedTime ts(7);
  f.run(*make_strategy("rec_xt1"), ts);
  ASSERT_EQ(f.spy.calls.size(), 2u);
  EXPECT_FLOAT_EQ(f.spy.calls[0].time[0].item<float>(), 9.0f / 1001.0f);  // t + 1 = 8 → (8+1)/T
  EXPECT_FLOAT_EQ(f.spy.calls[1].time[0].item<float>(), 8.0f / 1001.0f);
}

// sc_xt1 as published: pass 2 gets the posterior-mean step from x_{t+1} to x_t with time t, plus the first
// prediction (gated) as extra channels; the reference variant keeps x_{t+1}'s mask.
TEST(Strategies, SelfConditioningNextFeedsThePredictionAndStepsBack) {
  for (bool reference : {false, true}) {
    Fixture f;
    f.spy.first_prediction = torch::zeros({2, 6, 6}, torch::kLong);
    FixedTime ts(3);
    StrategyOptions o;
    o.self_conditioning_probability = 1.0;  // always feed the prediction
    o.reference_sc_next = reference;
    f.run(*make_strategy("sc_xt1", o), ts);
    ASSERT_EQ(f.spy.calls.size(), 2u);
    const Call &c1 = f.spy.calls[0], &c2 = f.spy.calls[1];
    EXPECT_EQ(c1.mask.size(1), 6);  // 2K channels
    EXPECT_EQ(c1.mask.narrow(1, 3, 3).abs().sum().item<float>(), 0.0f);  // no previous prediction yet
    EXPECT_FALSE(c1.grad_enabled);
    EXPECT_FLOAT_EQ(c1.time[0].item<float>(), 5.0f / 1001.0f);  // t_sc = 4
    EXPECT_FLOAT_EQ(c2.time[0].item<float>(), 4.0f / 1001.0f);  // t = 3
    const at::Tensor predicted = diffusion::x_to_mask(diffusion::logits_to_x(8.0 * (torch::one_hot(f.spy.first_prediction, 3).movedim(-1, 1).to(torch::kFloat) - 0.5)));
    EXPECT_LT((c2.mask.narrow(1, 3, 3) - predicted).abs().max().item<float>(), 1e-5f);
    const bool same_noisy_mask = torch::allclose(c2.mask.narrow(1, 0, 3), c1.mask.narrow(1, 0, 3));
    EXPECT_EQ(same_noisy_mask, reference);
  }
}

TEST(Strategies, SelfConditioningGateZeroDropsThePrediction) {
  Fixture f;
  FixedTime ts(3);
  StrategyOptions o;
  o.self_conditioning_probability = 0.0;
  f.run(*make_strategy("sc_xt", o), ts);
  ASSERT_EQ(f.spy.calls.size(), 2u);
  EXPECT_EQ(f.spy.calls[1].mask.narrow(1, 3, 3).abs().sum().item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(f.spy.calls[0].time[0].item<float>(), f.spy.calls[1].time[0].item<float>());  // same level
}

// The registry is the one definition of each strategy's properties: its factory builds the strategy of that name,
// and what inference and the network need follows from the table.
TEST(Strategies, RegistryRowsMatchTheirStrategies) {
  ASSERT_EQ(strategy_registry().size(), 6u);
  for (const StrategyInfo& info : strategy_registry()) {
    const auto s = make_strategy(info.name);
    EXPECT_EQ(s->name(), info.name);
    EXPECT_EQ(s->is_diffusion(), info.diffusion);
    EXPECT_EQ(s->self_conditioning(), info.self_conditioning);
    EXPECT_EQ(network_inputs(info.name, 3).mask_channels, 3 * info.mask_channels_per_class);
  }
  EXPECT_FALSE(make_strategy("supervised")->is_diffusion());
  EXPECT_TRUE(make_strategy("sc_xt1")->self_conditioning());
  EXPECT_EQ(network_inputs("rec_xT", 4).mask_channels, 4);
  EXPECT_EQ(network_inputs("sc_xt", 4).mask_channels, 8);
  EXPECT_THROW(strategy_info("rec_xT2"), UsageError);
}

// Bernoulli mask diffusion in the strategies (docs/method.md, Bernoulli mask diffusion), observed through a spy
// network: every mask it receives is a one-hot {0, 1} draw, plain diffusion noises the ground truth and rec_xT /
// rec_xt1 noise the first pass's prediction; the run config's diffusion.noise switches it and refuses what is not
// implemented.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/core/config.h"
#include "diffseg/core/error.h"
#include "diffseg/diffusion/mask_space.h"
#include "diffseg/train/one_step.h"
#include "diffseg/train/strategy.h"
#include "diffseg/train/trainer_options.h"

using namespace diffseg;
using namespace diffseg::train;

namespace bernoulli_strategy_test {

class BTime final : public diffusion::TimeSampler {
 public:
  explicit BTime(int64_t t) : t_(t) {}
  diffusion::TimeSample sample(int64_t, int64_t t_max, diffusion::SampleStreams& streams) override {
    EXPECT_LT(t_, t_max);
    const int64_t batch = streams.size();
    return {torch::full({batch}, t_, torch::kLong), torch::full({batch}, 0.1, torch::kDouble), torch::ones({batch})};
  }
  void update(const at::Tensor&, const at::Tensor&) override {}

 private:
  int64_t t_;
};

struct BCall {
  at::Tensor mask, time;
  bool grad_enabled;
};

// Logits favouring `first_prediction` on the first call (if set) and the ground truth afterwards.
struct BSpy {
  std::vector<BCall> calls;
  at::Tensor scale = torch::ones({1}, torch::requires_grad());
  at::Tensor first_prediction, truth;
  at::Tensor operator()(const at::Tensor&, const at::Tensor& mask, const at::Tensor& time) {
    calls.push_back({mask.clone(), time.clone(), at::GradMode::is_enabled()});
    const at::Tensor target = calls.size() == 1 && first_prediction.defined() ? first_prediction : truth;
    return scale * 8.0 * (torch::one_hot(target, 3).movedim(-1, 1).to(torch::kFloat) - 0.5);
  }
};

diffusion::GaussianDiffusion bernoulli_chain() {
  diffusion::ScheduleOptions s;
  s.noise = diffusion::NoiseFamily::bernoulli;
  return diffusion::GaussianDiffusion::from_schedule(s);
}

struct BFixture {
  diffusion::GaussianDiffusion chain = bernoulli_chain();
  diffusion::SampleStreams streams = diffusion::SampleStreams::from_seed(0, 2);
  at::Tensor image = torch::rand({2, 1, 6, 6});
  at::Tensor labels = torch::div(torch::arange(72).view({2, 6, 6}), 12, "floor") % 3;  // stripes of classes 0, 1, 2
  at::Tensor truth = torch::one_hot(labels, 3).movedim(-1, 1).to(torch::kFloat);
  BSpy spy;
  BFixture() { spy.truth = labels; }
  StepResult run(Strategy& s, diffusion::TimeSampler& ts) {
    StepContext ctx{[this](const at::Tensor& x, const at::Tensor& m, const at::Tensor& t) { return spy(x, m, t); },
                    chain, ts, streams, LossWeights{}, 3};
    return s.step(ctx, image, labels);
  }
};

bool is_one_hot(const at::Tensor& m) {
  return torch::equal(m * (1 - m), torch::zeros_like(m)) && torch::equal(m.sum(1), torch::ones_like(m.sum(1)));
}
// Fraction of voxels whose one-hot class agrees with `reference`'s.
double agreement(const at::Tensor& m, const at::Tensor& reference) {
  return (m * reference).sum().item<double>() / static_cast<double>(m.numel() / m.size(1));
}

}  // namespace bernoulli_strategy_test

using namespace bernoulli_strategy_test;

TEST(BernoulliStrategies, PlainDiffusionDrawsOneHotMasksFromTheGroundTruth) {
  {
    BFixture f;
    BTime ts(0);  // abar_0 = 0.9999: a flip has probability 6.7e-5 per voxel
    const StepResult r = f.run(*make_strategy("diffusion"), ts);
    ASSERT_EQ(f.spy.calls.size(), 1u);
    EXPECT_TRUE(is_one_hot(f.spy.calls[0].mask));
    EXPECT_TRUE(torch::equal(f.spy.calls[0].mask, f.truth));
    EXPECT_FLOAT_EQ(f.spy.calls[0].time[0].item<float>(), 1.0f / 1001.0f);
    EXPECT_LT(r.terms.dice.mean().item<float>(), 0.05f);
    r.loss.backward();
    EXPECT_TRUE(f.spy.scale.grad().defined());
  }
  {
    BFixture f;
    BTime ts(1000);  // abar = 4e-5: a draw from u, which agrees with the truth on about a third of the voxels
    f.run(*make_strategy("diffusion"), ts);
    EXPECT_TRUE(is_one_hot(f.spy.calls[0].mask));
    EXPECT_LT(agreement(f.spy.calls[0].mask, f.truth), 0.6);
    EXPECT_FLOAT_EQ(f.spy.calls[0].time[0].item<float>(), 1.0f);
  }
}

// rec_xT: pass 1 (no gradient) sees a draw from q(x_{T-1} | x0) ≈ u; pass 2 sees a one-hot draw from q(x_t | x̂0)
// with pass 1's class probabilities (here class 0 everywhere, unlike the truth); the loss is against the truth.
TEST(BernoulliStrategies, RecyclingNoisesThePrediction) {
  BFixture f;
  f.spy.first_prediction = torch::zeros({2, 6, 6}, torch::kLong);
  BTime ts(0);
  const StepResult r = f.run(*make_strategy("rec_xT"), ts);
  ASSERT_EQ(f.spy.calls.size(), 2u);
  EXPECT_FALSE(f.spy.calls[0].grad_enabled);
  EXPECT_TRUE(f.spy.calls[1].grad_enabled);
  EXPECT_FLOAT_EQ(f.spy.calls[0].time[0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(f.spy.calls[1].time[0].item<float>(), 1.0f / 1001.0f);
  for (const BCall& c : f.spy.calls) EXPECT_TRUE(is_one_hot(c.mask));
  EXPECT_LT(agreement(f.spy.calls[0].mask, f.truth), 0.6);
  const at::Tensor class0 = torch::one_hot(f.spy.first_prediction, 3).movedim(-1, 1).to(torch::kFloat);
  EXPECT_GT(agreement(f.spy.calls[1].mask, class0), 0.97);  // p(class 0) = e^8 / (e^8 + 2) per voxel
  EXPECT_LT(agreement(f.spy.calls[1].mask, f.truth), 0.5);   // the truth has class 0 on a third of the voxels
  EXPECT_LT(r.terms.dice.mean().item<float>(), 0.05f);
  r.loss.backward();
  EXPECT_TRUE(f.spy.scale.grad().defined());
}

TEST(BernoulliStrategies, RecyclingFromNextLevel) {
  BFixture f;
  f.spy.first_prediction = torch::zeros({2, 6, 6}, torch::kLong);
  BTime ts(7);
  f.run(*make_strategy("rec_xt1"), ts);
  ASSERT_EQ(f.spy.calls.size(), 2u);
  EXPECT_FLOAT_EQ(f.spy.calls[0].time[0].item<float>(), 9.0f / 1001.0f);
  EXPECT_FLOAT_EQ(f.spy.calls[1].time[0].item<float>(), 8.0f / 1001.0f);
  EXPECT_GT(agreement(f.spy.calls[0].mask, f.truth), 0.9);  // abar_8 ≈ 0.999: the truth, nearly unflipped
  const at::Tensor class0 = torch::one_hot(f.spy.first_prediction, 3).movedim(-1, 1).to(torch::kFloat);
  EXPECT_GT(agreement(f.spy.calls[1].mask, class0), 0.9);
}

// The one-step prediction (recycling's first pass, the leakage diagnostic) in x-space, for a Bernoulli chain.
TEST(BernoulliStrategies, OneStepPredictionSeesAOneHotDraw) {
  BFixture f;
  const at::Tensor x0 = diffusion::labels_to_x(f.labels, 3);
  const at::Tensor t = torch::zeros({2}, torch::kLong);
  const Network net = [&](const at::Tensor& x, const at::Tensor& m, const at::Tensor& tm) { return f.spy(x, m, tm); };
  // Zero noise draws each voxel's most probable class, the truth at t = 0 (with random noise a voxel flips with
  // probability ~1e-4, which made this test fail now and then).
  const at::Tensor x0_hat = one_step_x0(net, f.chain, f.image, x0, t, torch::zeros_like(x0));
  ASSERT_EQ(f.spy.calls.size(), 1u);
  EXPECT_TRUE(torch::equal(f.spy.calls[0].mask, f.truth));
  EXPECT_TRUE(torch::allclose(x0_hat, diffusion::logits_to_x(8.0 * (f.truth - 0.5))));
}

TEST(BernoulliStrategies, SelfConditioningRefusesABernoulliChain) {
  BFixture f;
  BTime ts(3);
  EXPECT_THROW(f.run(*make_strategy("sc_xt"), ts), std::logic_error);
}

TEST(BernoulliStrategies, RunConfigSwitchAndRefusals) {
  Config c(YAML::Load("data: {patch: [32, 32]}\ntrain: {strategy: rec_xT}\n"));
  EXPECT_EQ(trainer_options_from_config(c).schedule.noise, diffusion::NoiseFamily::gaussian);
  c.set("diffusion.noise=bernoulli");
  EXPECT_EQ(trainer_options_from_config(c).schedule.noise, diffusion::NoiseFamily::bernoulli);
  for (const char* s : {"diffusion", "rec_xt1", "supervised"}) {
    c.set(std::string("train.strategy=") + s);
    EXPECT_NO_THROW(trainer_options_from_config(c)) << s;
  }
  for (const char* s : {"sc_xt", "sc_xt1"}) {
    c.set(std::string("train.strategy=") + s);
    EXPECT_THROW(trainer_options_from_config(c), UsageError) << s;
  }
  c.set("train.strategy=rec_xT");
  c.set("eval.sampler=ddim");
  EXPECT_THROW(trainer_options_from_config(c), UsageError);
  c.set("eval.sampler=ddpm");
  c.set("diffusion.model_output=noise");
  EXPECT_THROW(trainer_options_from_config(c), UsageError);
  c.set("diffusion.model_output=x_start");
  c.set("diffusion.noise=binomial");
  EXPECT_THROW(trainer_options_from_config(c), UsageError);
}

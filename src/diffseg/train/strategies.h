#pragma once
// The six strategies of docs/method.md, Training strategies (each implemented in its own file).
#include "diffseg/train/strategy.h"

namespace diffseg::train {

// (a) "No diff.": logits = net(image); plain mean of the per-sample loss.
class Supervised final : public Strategy {
 public:
  std::string name() const override { return "supervised"; }
  StepResult step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) override;
};

// (b) "Diff.": x_t = q_sample(x0, t), one pass on x_to_mask(x_t).
class PlainDiffusion final : public Strategy {
 public:
  std::string name() const override { return "diffusion"; }
  StepResult step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) override;
};

// (c) Self-conditioning: a first pass (no gradient) predicts x0 from the noised ground truth; with probability p
// that prediction is fed, as extra mask channels, to the second pass that carries the loss.
class SelfConditioning final : public Strategy {
 public:
  enum class Previous { same, next };  // sc_xt: first pass at t; sc_xt1: first pass at t + 1
  SelfConditioning(Previous previous, StrategyOptions options) : previous_(previous), options_(options) {}
  std::string name() const override { return previous_ == Previous::same ? "sc_xt" : "sc_xt1"; }
  StepResult step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) override;

 private:
  Previous previous_;
  StrategyOptions options_;
};

// (d) Recycling: a first pass (no gradient) predicts x0 from the noised ground truth at t_re; the *prediction* is
// noised to level t and the second pass learns from that against the ground truth.
// rec_xT: t_re = T - 1 (pure noise; the paper's proposal). rec_xt1: t_re = t + 1.
class Recycling final : public Strategy {
 public:
  enum class Previous { max, next };
  explicit Recycling(Previous previous) : previous_(previous) {}
  std::string name() const override { return previous_ == Previous::max ? "rec_xT" : "rec_xt1"; }
  StepResult step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) override;

 private:
  Previous previous_;
};

}  // namespace diffseg::train

#pragma once
// A training strategy computes one step's loss from a batch (method.md). The training loop is the same for all of
// them; adding one is a new file and a row in the registry (strategy_registry.h).
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include "diffseg/diffusion/gaussian_diffusion.h"
#include "diffseg/diffusion/sample_streams.h"
#include "diffseg/diffusion/sampler.h"
#include "diffseg/diffusion/time_sampler.h"
#include "diffseg/train/loss.h"
#include "diffseg/train/strategy_registry.h"

namespace diffseg::train {

// Switches that reproduce the reference's quirks (method.md: sc_xt and sc_xt1) instead of the published method.
struct StrategyOptions {
  double self_conditioning_probability = 0.5;
  bool reference_sc_next = false;  // sc_xt1: second pass sees the mask of x_{t+1} with the time of t (reference)
};

// The network as strategies see it: (image, mask channels or undefined, time or undefined) → output. A callable
// rather than the module, so tests can observe exactly what each pass receives.
using Network = std::function<at::Tensor(const at::Tensor& image, const at::Tensor& mask, const at::Tensor& time)>;

struct StepContext {
  Network net;
  const diffusion::GaussianDiffusion& diffusion;  // training schedule, on the device
  diffusion::TimeSampler& time_sampler;  // read only during a step; the trainer reports the losses after it
  diffusion::SampleStreams& random;      // noise, times, gates: keyed by each sample's global index
  LossWeights weights;
  int64_t num_classes;
};

struct StepResult {
  at::Tensor loss;               // scalar to back-propagate (sample-weighted mean)
  SegmentationLoss terms;        // per sample, un-weighted by time
  at::Tensor t;                  // (B) timestep indices of the loss pass (what the time sampler learns from),
                                 // undefined for supervised
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  // image (B, C, *spatial) float, labels (B, *spatial) int64, both on the device.
  virtual StepResult step(StepContext& ctx, const at::Tensor& image, const at::Tensor& labels) = 0;
  // What inference needs, from the registry: a diffusion chain (false for supervised), self-conditioning input.
  bool is_diffusion() const { return strategy_info(name()).diffusion; }
  bool self_conditioning() const { return strategy_info(name()).self_conditioning; }
};

std::unique_ptr<Strategy> make_strategy(const std::string& name, const StrategyOptions& options = {});

// Helpers shared by the strategies.
at::Tensor normal_like(const at::Tensor& like, diffusion::SampleStreams& random);  // on like's device
// The loss pass of every diffusion strategy: segmentation loss of the network output (at x_t, level t) against the
// labels, weighted per sample by the time sampler's weights.
StepResult diffusion_loss(StepContext& ctx, const at::Tensor& out, const at::Tensor& x_t, const at::Tensor& t,
                          const diffusion::TimeSample& ts, const at::Tensor& labels);

}  // namespace diffseg::train

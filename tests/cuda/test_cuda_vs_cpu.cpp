// CUDA against CPU on the same inputs and weights: UNet forward/backward (2D, 3D), DDPM/DDIM steps, the
// segmentation loss, a short training run's loss curve, and sliding-window inference on a 3D volume.
// Skipped, with one line, where torch::cuda::is_available() is false (the 1.13 build, machines without a GPU).
//
// Tolerances. The CPU side is the reference. In float32, CUDA differs from it by summation order only (cuDNN picks
// convolution algorithms — Winograd, FFT, implicit GEMM — that accumulate in a different order, reductions run as
// parallel trees). TF32 would round matmul and convolution inputs to a 10-bit mantissa (~1e-3 relative), far above
// that, so SetUp turns it off for cuDNN and cuBLAS and asks for deterministic cuDNN algorithms without the
// benchmark search (the same algorithm every run, so a failure reproduces). The bounds are relative to the largest
// magnitude of the reference tensor (max|cuda - cpu| / max|cpu|): element-wise relative error is meaningless
// where values cross zero.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "diffseg/diffusion/gaussian_diffusion.h"
#include "diffseg/diffusion/sample_streams.h"
#include "diffseg/diffusion/sampler.h"
#include "diffseg/diffusion/time_sampler.h"
#include "diffseg/model/unet.h"
#include "diffseg/train/loss.h"
#include "diffseg/train/optimizer_step.h"
#include "diffseg/train/predictor.h"
#include "diffseg/train/strategy.h"

using namespace diffseg;

namespace {

const c10::Device kCpu(torch::kCPU);
// The device compared with the CPU. DIFFSEG_CUDA_TEST_DEVICE=cpu runs every comparison CPU against CPU: a check of
// the tests' own code (shapes, windows, options) on a machine without a GPU; the bounds then hold trivially.
c10::Device target_device() {
  const char* name = std::getenv("DIFFSEG_CUDA_TEST_DEVICE");
  return c10::Device(name && *name ? name : "cuda:0");
}
const c10::Device kTarget = target_device();

class CudaVsCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kTarget.is_cuda() && !torch::cuda::is_available())
      GTEST_SKIP() << "skipped: no CUDA device (torch::cuda::is_available() is false)";
    auto& ctx = at::globalContext();
    ctx.setAllowTF32CuDNN(false);  // TF32 convolutions: ~1e-3 relative error, not what float32 means here
    ctx.setAllowTF32CuBLAS(false);  // same for matmuls (attention, time MLP)
    ctx.setDeterministicCuDNN(true);
    ctx.setBenchmarkCuDNN(false);
  }
};

// max|actual - expected| / max|expected|, both brought to the CPU in float64.
double relative_error(const at::Tensor& expected, const at::Tensor& actual) {
  const at::Tensor e = expected.detach().to(kCpu, torch::kDouble), a = actual.detach().to(kCpu, torch::kDouble);
  const double scale = e.abs().max().item<double>();
  return (a - e).abs().max().item<double>() / (scale > 0 ? scale : 1.0);
}

#define EXPECT_RELATIVE(expected, actual, bound, what)                                                   \
  do {                                                                                                    \
    ASSERT_EQ((expected).sizes(), (actual).sizes()) << (what);                                            \
    EXPECT_LE(relative_error((expected), (actual)), (bound)) << (what);                                   \
  } while (0)

// A small UNet: three levels, one residual block each, a one-layer transformer; dropout 0 so both devices compute
// the same function (dropout masks are drawn per device and would differ).
model::UNetOptions small_options(int64_t dims) {
  model::UNetOptions o;
  o.spatial_dims = dims;
  o.in_channels = 1;
  o.mask_channels = 3;
  o.out_channels = 3;
  o.channels = {8, 16, 32};
  o.num_res_blocks = 1;
  o.patch_size = std::vector<int64_t>(dims, 2);
  o.scale_factor = std::vector<int64_t>(dims, 2);
  o.num_heads = 2;
  o.widening_factor = 2;
  o.dropout = 0.0;
  o.validate();
  return o;
}

// The same weights on both devices: one initialisation on the CPU, copied into a second network moved to CUDA.
std::pair<model::UNet, model::UNet> twin_networks(const model::UNetOptions& o) {
  model::UNet cpu(o), cuda(o);
  model::initialise(cpu, 0);
  {
    torch::NoGradGuard no_grad;
    const auto params = cpu->named_parameters();
    for (auto& p : cuda->named_parameters()) p.value().copy_(params[p.key()]);
    const auto buffers = cpu->named_buffers();
    for (auto& b : cuda->named_buffers()) b.value().copy_(buffers[b.key()]);
  }
  cuda->to(kTarget);
  return {cpu, cuda};
}

// The twins in inference mode (dropout off), for the sampling tests.
std::pair<model::UNet, model::UNet> eval_twin_networks(const model::UNetOptions& o) {
  auto nets = twin_networks(o);
  nets.first->eval();
  nets.second->eval();
  return nets;
}

std::vector<int64_t> with_batch(int64_t batch, int64_t channels, std::vector<int64_t> spatial) {
  spatial.insert(spatial.begin(), {batch, channels});
  return spatial;
}

void check_forward_backward(int64_t dims, std::vector<int64_t> spatial) {
  const auto o = small_options(dims);
  auto [cpu, cuda] = twin_networks(o);
  torch::manual_seed(1);
  const at::Tensor image = torch::rand(with_batch(2, 1, spatial));
  const at::Tensor mask = torch::rand(with_batch(2, o.mask_channels, spatial));
  const at::Tensor time = torch::rand({2});
  const at::Tensor weight = torch::randn(with_batch(2, o.out_channels, spatial));  // a loss with every output in it

  const at::Tensor out_cpu = cpu->forward(image, mask, time);
  const at::Tensor out_cuda = cuda->forward(image.to(kTarget), mask.to(kTarget), time.to(kTarget));
  // Forward: a few dozen layers of float32 convolutions in another summation order, ~1e-6 per layer.
  EXPECT_RELATIVE(out_cpu, out_cuda, 1e-4, "forward logits");

  (out_cpu * weight).sum().backward();
  (out_cuda * weight.to(kTarget)).sum().backward();
  // Backward: weight gradients sum over every voxel and the batch (long reductions; cuDNN's backward-filter
  // algorithms reorder them most), so the bound is 10x the forward's.
  const auto grads_cpu = cpu->named_parameters();
  for (const auto& p : cuda->named_parameters()) {
    const at::Tensor g_cpu = grads_cpu[p.key()].grad();
    ASSERT_TRUE(g_cpu.defined() && p.value().grad().defined()) << p.key();
    EXPECT_RELATIVE(g_cpu, p.value().grad(), 1e-3, "gradient of " + p.key());
  }
}

TEST_F(CudaVsCpu, UNetForwardBackward2D) { check_forward_backward(2, {32, 24}); }
TEST_F(CudaVsCpu, UNetForwardBackward3D) { check_forward_backward(3, {16, 16, 8}); }

// One reverse update of each sampler from the same x_t, x0_hat and noise: element-wise arithmetic with the
// schedule's coefficients (computed in float64, applied in float32), so only rounding differs.
TEST_F(CudaVsCpu, SamplerSteps) {
  const auto diff_cpu = diffusion::GaussianDiffusion::from_schedule({});
  const auto chain_cpu = diff_cpu.respaced({0, 250, 500, 750, 1000});
  const auto chain_cuda = chain_cpu.to(kTarget);
  torch::manual_seed(2);
  const at::Tensor x_t = torch::randn({2, 3, 16, 16}), x0 = torch::rand({2, 3, 16, 16}) * 2 - 1,
                   noise = torch::randn({2, 3, 16, 16});
  for (const auto kind : {diffusion::SamplerKind::ddpm, diffusion::SamplerKind::ddim}) {
    for (const int64_t t : {4, 2, 0}) {
      for (const double eta : {0.0, 1.0}) {
        if (kind == diffusion::SamplerKind::ddpm && eta > 0) continue;  // eta is DDIM's
        const at::Tensor a = diffusion::reverse_step(chain_cpu, kind, eta, x_t, x0, t, noise);
        const at::Tensor b = diffusion::reverse_step(chain_cuda, kind, eta, x_t.to(kTarget), x0.to(kTarget), t,
                                                     noise.to(kTarget));
        EXPECT_RELATIVE(a, b, 1e-6, diffusion::to_string(kind) + " t=" + std::to_string(t) +
                                        " eta=" + std::to_string(eta));
      }
    }
  }
}

// The whole 5-step DDIM and DDPM chains with the small UNet as denoiser: noise from one CPU generator seed on
// both sides (the sampler draws on the generator's device and moves it). Five network passes in a row, each fed
// the previous step's output: 1e-3.
TEST_F(CudaVsCpu, SamplerChains) {
  const auto o = small_options(2);
  const auto nets = eval_twin_networks(o);
  model::UNet cpu = nets.first, cuda = nets.second;  // named variables: lambdas capture them below
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  const at::Tensor image = torch::rand({2, 1, 32, 32});
  const at::Tensor image_cuda = image.to(kTarget);
  const auto diff_cpu = diffusion::GaussianDiffusion::from_schedule({});
  const auto diff_cuda = diff_cpu.to(kTarget);
  for (const auto kind : {diffusion::SamplerKind::ddim, diffusion::SamplerKind::ddpm}) {
    diffusion::SamplerOptions so;
    so.kind = kind;
    so.steps = 5;
    const auto r_cpu = diffusion::sample(
        diff_cpu, [&](const at::Tensor& x, const at::Tensor&, const at::Tensor& t) { return cpu->forward(image, x, t); },
        {2, 3, 32, 32}, so, at::make_generator<at::CPUGeneratorImpl>(7));
    const auto r_cuda = diffusion::sample(
        diff_cuda,
        [&](const at::Tensor& x, const at::Tensor&, const at::Tensor& t) { return cuda->forward(image_cuda, x, t); },
        {2, 3, 32, 32}, so, at::make_generator<at::CPUGeneratorImpl>(7));
    ASSERT_EQ(r_cpu.x0_probabilities.size(), r_cuda.x0_probabilities.size());
    EXPECT_EQ(r_cpu.training_indices, r_cuda.training_indices);
    for (size_t s = 0; s < r_cpu.x0_probabilities.size(); ++s)
      EXPECT_RELATIVE(r_cpu.x0_probabilities[s], r_cuda.x0_probabilities[s], 1e-3,
                      diffusion::to_string(kind) + " step " + std::to_string(s));
  }
}

// Soft Dice + focal + CE per sample and the gradient with respect to the logits: softmax and voxel means, so
// float32 rounding of one reduction (~1e-6); 1e-5 leaves room for the longer 3D sums.
TEST_F(CudaVsCpu, SegmentationLoss) {
  torch::manual_seed(4);
  for (const std::vector<int64_t>& spatial : {std::vector<int64_t>{32, 32}, std::vector<int64_t>{16, 16, 16}}) {
    const at::Tensor logits = (torch::randn(with_batch(3, 4, spatial)) * 3).requires_grad_();
    std::vector<int64_t> label_shape = spatial;
    label_shape.insert(label_shape.begin(), 3);
    const at::Tensor labels = torch::randint(0, 4, label_shape, torch::kLong);
    const at::Tensor logits_cuda = logits.detach().to(kTarget).requires_grad_();
    const train::LossWeights w{1.0, 1.0, 0.5, 2.0};
    const auto a = train::segmentation_loss(logits, labels, w);
    const auto b = train::segmentation_loss(logits_cuda, labels.to(kTarget), w);
    const std::string dims = std::to_string(spatial.size()) + "D ";
    EXPECT_RELATIVE(a.per_sample, b.per_sample, 1e-5, dims + "per-sample loss");
    EXPECT_RELATIVE(a.dice, b.dice, 1e-5, dims + "dice");
    EXPECT_RELATIVE(a.focal, b.focal, 1e-5, dims + "focal");
    EXPECT_RELATIVE(a.cross_entropy, b.cross_entropy, 1e-5, dims + "cross entropy");
    a.per_sample.sum().backward();
    b.per_sample.sum().backward();
    EXPECT_RELATIVE(logits.grad(), logits_cuda.grad(), 1e-5, dims + "gradient");
  }
}

// Eight optimizer steps of plain diffusion and of rec_xT (its extra no-grad pass included) from the same weights,
// batch and sample streams (noise and times come from CPU streams keyed by sample, the same on both devices).
// AdamW divides by sqrt(v), which amplifies tiny gradient differences on near-zero gradients, and every step
// starts from the previous step's slightly different weights: loss curves agree to 1e-3 relative, not 1e-5.
std::vector<double> loss_curve(const std::string& strategy_name, model::UNet net, c10::Device device, int64_t steps) {
  const int64_t classes = 3, batch = 2;
  torch::manual_seed(5);
  const at::Tensor image = torch::rand({batch, 1, 32, 32}).to(device);
  const at::Tensor labels = (torch::div(torch::arange(32), 11, "floor").view({1, 1, 32}) +
                             torch::zeros({batch, 32, 1}, torch::kLong))
                                .clamp_max(classes - 1)
                                .to(device);  // stripes of the three classes, learnable
  const auto diff = diffusion::GaussianDiffusion::from_schedule({}, diffusion::ModelOutput::x_start,
                                                                diffusion::VarianceType::fixed_small, device);
  auto time_sampler = diffusion::make_time_sampler({}, diff.num_timesteps());
  auto streams = diffusion::SampleStreams::from_seed(1, batch);
  auto strategy = train::make_strategy(strategy_name);
  torch::optim::AdamW optimizer(net->parameters(),
                                torch::optim::AdamWOptions(1e-3).betas({0.9, 0.999}).eps(1e-8).weight_decay(1e-8));
  train::StepContext ctx{[&](const at::Tensor& x, const at::Tensor& m, const at::Tensor& t) { return net->forward(x, m, t); },
                         diff, *time_sampler, streams, train::LossWeights{}, classes};
  net->train();
  std::vector<double> losses;
  for (int64_t s = 0; s < steps; ++s) {
    const auto r = train::optimizer_step(*strategy, ctx, optimizer, net->parameters(), image, labels,
                                         train::Precision::float32, device, 1.0);
    EXPECT_TRUE(r.applied) << strategy_name << " step " << s << " on " << device;
    losses.push_back(r.loss);
  }
  return losses;
}

TEST_F(CudaVsCpu, TrainingLossCurve) {
  for (const std::string strategy : {"diffusion", "rec_xT"}) {
    auto [cpu, cuda] = twin_networks(small_options(2));
    const auto a = loss_curve(strategy, cpu, kCpu, 8);
    const auto b = loss_curve(strategy, cuda, kTarget, 8);
    ASSERT_EQ(a.size(), b.size());
    for (size_t s = 0; s < a.size(); ++s)
      EXPECT_NEAR(b[s], a[s], 1e-3 * std::abs(a[s]) + 1e-6) << strategy << " step " << s;
    // Weights after the run: the same bound, relative to each tensor's largest weight.
    const auto params = cpu->named_parameters();
    for (const auto& p : cuda->named_parameters())
      EXPECT_RELATIVE(params[p.key()], p.value(), 1e-3, strategy + " weight " + p.key());
  }
}

// Sliding windows over a 3D volume larger than the window (overlapping windows along the first axis, blended),
// DDIM with 3 steps. Compared as probabilities (log-probabilities of near-impossible classes are large negative
// numbers whose float32 rounding means nothing); the final labels agree almost everywhere — voxels at a tie
// between two classes may flip.
TEST_F(CudaVsCpu, SlidingWindowInference3D) {
  const auto o = small_options(3);
  const auto nets = eval_twin_networks(o);
  model::UNet cpu = nets.first, cuda = nets.second;  // named variables: lambdas capture them below
  torch::NoGradGuard no_grad;
  torch::manual_seed(6);
  const at::Tensor volume = torch::rand({1, 24, 16, 20});
  const auto diff_cpu = diffusion::GaussianDiffusion::from_schedule({});
  const auto diff_cuda = diff_cpu.to(kTarget);
  const auto strategy = train::make_strategy("diffusion");
  train::PredictOptions po;
  po.sampler.kind = diffusion::SamplerKind::ddim;
  po.sampler.steps = 3;
  po.patch = {16, 16, 16};
  po.overlap = {8, 0, 12};
  po.window_batch = 2;
  const at::Tensor a = train::predict_log_probabilities(cpu, *strategy, diff_cpu, volume, po,
                                                        at::make_generator<at::CPUGeneratorImpl>(11));
  const at::Tensor b = train::predict_log_probabilities(cuda, *strategy, diff_cuda, volume.to(kTarget), po,
                                                        at::make_generator<at::CPUGeneratorImpl>(11));
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_EQ(a.size(0), 3);
  EXPECT_RELATIVE(a.exp(), b.exp(), 1e-3, "probabilities per step");
  const at::Tensor agree = (a[-1].argmax(0) == b[-1].argmax(0).to(kCpu)).to(torch::kDouble).mean();
  EXPECT_GE(agree.item<double>(), 0.999) << "final labels";
}

}  // namespace

#include "diffseg/train/predictor.h"

#include <cmath>

#include <torch/torch.h>

#include "diffseg/data/augment.h"
#include "diffseg/diffusion/mask_space.h"
#include "diffseg/metrics/segmentation_metrics.h"

namespace diffseg::train {

at::Tensor predict_log_probabilities(model::UNet& net, const Strategy& strategy,
                                     const diffusion::GaussianDiffusion& diffusion, const at::Tensor& image,
                                     const PredictOptions& o, at::Generator generator) {
  c10::InferenceMode inference;
  net->eval();
  const int64_t k = net->options().out_channels;
  const int64_t steps = strategy.is_diffusion() ? o.sampler.steps : 1;
  std::vector<int64_t> overlap = o.overlap;
  overlap.resize(o.patch.size(), 0);
  const auto predict = [&](const at::Tensor& windows) {
    const int64_t b = windows.size(0);
    std::vector<at::Tensor> scaled;
    for (int64_t i = 0; i < b; ++i) scaled.push_back(data::rescale_intensity(windows[i]));
    const at::Tensor x = torch::stack(scaled);
    std::vector<int64_t> shape{b, k};
    for (int64_t a = 2; a < x.dim(); ++a) shape.push_back(x.size(a));
    if (!strategy.is_diffusion()) return torch::log_softmax(net->forward(x), 1);
    diffusion::SamplerOptions so = o.sampler;
    so.self_conditioning = strategy.self_conditioning();
    const diffusion::Denoiser denoiser = [&](const at::Tensor& noisy, const at::Tensor& prev, const at::Tensor& time) {
      return net->forward(x, prev.defined() ? torch::cat({noisy, prev}, 1) : noisy, time);
    };
    const diffusion::SamplingResult r = diffusion::sample(diffusion, denoiser, shape, so, generator);
    std::vector<at::Tensor> per_step;
    for (const at::Tensor& p : r.x0_probabilities) per_step.push_back(diffusion::x_to_logits(diffusion::mask_to_x(p)));
    return torch::cat(per_step, 1);  // (B, steps*K, *patch): blended per channel like any output
  };
  const at::Tensor blended = data::sliding_window(image, o.patch, overlap, o.window_batch, o.blend, predict);
  std::vector<int64_t> out_shape{steps, k};
  for (int64_t a = 1; a < blended.dim(); ++a) out_shape.push_back(blended.size(a));
  return blended.view(out_shape);
}

double mean_foreground_dice(const at::Tensor& prediction, const at::Tensor& truth, int64_t num_classes) {
  double sum = 0;
  int64_t n = 0;
  for (int64_t c = 1; c < num_classes; ++c) {
    const at::Tensor p = prediction == c, t = truth == c;
    const double dice = metrics::dice_from_counts((p & t).sum().item<int64_t>(), p.sum().item<int64_t>(), t.sum().item<int64_t>());
    if (std::isnan(dice)) continue;  // absent from both: no score for this class
    sum += dice;
    ++n;
  }
  return n ? sum / static_cast<double>(n) : 1.0;
}

}  // namespace diffseg::train

#pragma once
// The UNet of docs/method.md for 2D and 3D: stem, encoder levels of residual blocks with down-sampling, a bottom
// transformer between two residual blocks, a decoder with additive skips and transposed-conv up-sampling, and a
// 1x1 head. The diffusion variant takes the noisy mask channels and a time; the supervised one neither.
#include <torch/torch.h>

#include "diffseg/model/blocks.h"
#include "diffseg/model/transformer.h"
#include "diffseg/model/unet_options.h"

namespace diffseg::model {

class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(UNetOptions options);

  // image (B, C_img, *spatial); mask (B, mask_channels, *spatial) or undefined when mask_channels == 0;
  // time (B) in (0, 1] or undefined for the supervised network. Returns logits (B, out_channels, *spatial).
  torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& mask = {}, const torch::Tensor& time = {});

  const UNetOptions& options() const { return options_; }

 private:
  UNetOptions options_;
  ConvNormAct stem{nullptr};
  torch::nn::ModuleList encoder{nullptr}, decoder{nullptr};
  ResBlock bottom_in{nullptr}, bottom_out{nullptr};
  Transformer transformer{nullptr};
  Conv head{nullptr};
};
TORCH_MODULE(UNet);

// Flax-style initialisation (the reference's): LeCun-normal (truncated) kernels, variance scaling 2/num_layers for
// the transformer, zero biases, unit norm scales. Deterministic given `seed`.
void initialise(UNet& net, uint64_t seed);

}  // namespace diffseg::model

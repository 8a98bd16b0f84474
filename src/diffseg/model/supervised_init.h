#pragma once
// A diffusion network started from a trained supervised one (docs/method.md, Fine-tuning from a supervised model):
// what the two networks share is copied, and what only the diffusion network has is set so that, until training
// changes it, its output equals the supervised network's for every mask and time.
#include <filesystem>
#include <map>
#include <string>

#include <torch/torch.h>

#include "diffseg/model/unet.h"

namespace diffseg::model {

// `supervised`: the state dict of a supervised network (no mask channels, no time branch) with `net`'s settings
// otherwise. Every tensor of `net` that the supervised network has with the same shape is copied. The stem
// convolution, which also reads the mask channels, gets the supervised weights for the image channels and zeros for
// the mask channels; every tensor only the diffusion network has (each residual block's time projection, weight
// and bias) is zero. UsageError naming `source` when the state dict is not such a network: one with a time branch
// or mask channels (a diffusion strategy's), or a weight missing, unexpected or of another shape (another number of
// classes, image channels, levels, widths, blocks or spatial dimensions).
void initialise_from_supervised(UNet& net, const std::map<std::string, torch::Tensor>& supervised,
                                const std::filesystem::path& source);

}  // namespace diffseg::model

#pragma once
// Gradient checkpointing: run a block without keeping its activations and recompute them in the backward pass,
// trading compute for memory (the reference enables it with `remat`). The default CPU generator's state (and on a
// GPU that GPU's generator's) is saved before the forward and restored for the recomputation, so dropout draws the
// same masks: gradients are exactly those of the plain block.
#include <functional>
#include <vector>

#include <torch/torch.h>

namespace diffseg::model {

using BlockFunction = std::function<torch::Tensor(const std::vector<torch::Tensor>& inputs)>;

// `fn` must outlive the backward pass (blocks keep it as a member). `params` are the parameters fn uses.
torch::Tensor checkpointed(const BlockFunction* fn, const std::vector<torch::Tensor>& inputs,
                           const std::vector<torch::Tensor>& params);

}  // namespace diffseg::model

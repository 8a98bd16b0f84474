#pragma once
// `train --init-from` (train.init_from): a run starts from a trained supervised network instead of random weights
// (docs/method.md, Fine-tuning from a supervised model). --resume never comes here: a resumed run continues from
// its own checkpoint.
#include <filesystem>

#include "diffseg/diffusion/gaussian_diffusion.h"
#include "diffseg/model/unet.h"

namespace diffseg::train {

// `source`: a supervised run folder (its model_best.pt, else model_last.pt), or a weights file (a state dict, .pt)
// or checkpoint (.ckpt) of one. A run folder's config.yaml, and for a file inside a run folder (RUN/model_*.pt,
// RUN/checkpoints/*.ckpt) that run's, must say strategy supervised and describe the same network as `net`'s.
// Initialises `net` with model::initialise_from_supervised and returns the weights file read (absolute).
// UsageError naming the file: not a supervised run or network, another network, or `model_output` noise (an
// ε-prediction cannot reproduce the supervised logits); InputError naming it: missing, unreadable or damaged.
std::filesystem::path initialise_from_supervised_run(model::UNet& net, const std::filesystem::path& source,
                                                     diffusion::ModelOutput model_output);

}  // namespace diffseg::train

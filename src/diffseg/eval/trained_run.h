#pragma once
// A finished (or checkpointed) training run, loaded back for inference and evaluation: its effective config, the
// network with the chosen weights, the strategy (which tells how to sample) and the diffusion schedule.
#include <filesystem>
#include <memory>
#include <string>

#include <c10/core/Device.h>

#include <optional>

#include "diffseg/core/config.h"
#include "diffseg/data/preprocess.h"
#include "diffseg/diffusion/gaussian_diffusion.h"
#include "diffseg/metrics/mask_postprocess.h"
#include "diffseg/model/unet.h"
#include "diffseg/train/strategy.h"
#include "diffseg/train/trainer_options.h"

namespace diffseg::eval {

struct TrainedRun {
  std::filesystem::path folder;
  Config config;
  train::TrainerOptions options;
  model::UNet net{nullptr};
  std::unique_ptr<train::Strategy> strategy;
  std::unique_ptr<diffusion::GaussianDiffusion> diffusion;
  int64_t num_classes = 0;
  int spatial_dims = 2;
  int64_t image_channels = 1;
  metrics::PostProcess postprocess = metrics::PostProcess::none;  // eval.postprocess: applied to every label map
  // How the training images were made from raw scans (data.preprocessing, from the dataset's dataset.json); none
  // when the run does not record it (data prepared by hand or by an older diffseg).
  std::optional<data::PreprocessOptions> preprocessing;
};

// checkpoint: "best" (model_best.pt) or "last" (model_last.pt). InputError naming the file when it is missing.
TrainedRun load_run(const std::filesystem::path& folder, const std::string& checkpoint, c10::Device device);

}  // namespace diffseg::eval

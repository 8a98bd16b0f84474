#include "diffseg/eval/trained_run.h"

#include "diffseg/core/error.h"
#include "diffseg/model/model_config.h"
#include "diffseg/model/weights.h"

namespace diffseg::eval {
namespace fs = std::filesystem;

TrainedRun load_run(const fs::path& folder, const std::string& checkpoint, c10::Device device) {
  if (checkpoint != "best" && checkpoint != "last") throw UsageError("--checkpoint must be best or last");
  TrainedRun r;
  r.folder = folder;
  r.config = Config::load(folder / "config.yaml");
  r.options = train::trainer_options_from_config(r.config);
  r.num_classes = r.config.require<int64_t>("data.num_classes");
  r.spatial_dims = r.config.get<int>("data.spatial_dims", 2);
  r.image_channels = r.config.get<int64_t>("data.image_channels", 1);
  r.postprocess = metrics::parse_postprocess(r.config.get<std::string>("eval.postprocess", "none"));
  if (r.config.has("data.preprocessing"))
    r.preprocessing = data::PreprocessOptions::from_config(r.config, "data.preprocessing");
  const auto inputs = train::network_inputs(r.options.strategy, r.num_classes);
  r.net = model::UNet(model::unet_options_from_config(r.config, inputs.mask_channels, inputs.time_conditioning));
  fs::path weights = folder / ("model_" + checkpoint + ".pt");
  if (checkpoint == "best" && !fs::exists(weights)) weights = folder / "model_last.pt";  // no validation split
  if (!fs::exists(weights)) throw InputError(weights, "weights not found (has the run saved a checkpoint yet?)");
  model::load_state_dict(*r.net, weights);
  r.net->to(device);
  r.net->eval();
  r.strategy = train::make_strategy(r.options.strategy, r.options.strategy_options);
  r.diffusion = std::make_unique<diffusion::GaussianDiffusion>(diffusion::GaussianDiffusion::from_schedule(
      r.options.schedule, r.options.model_output, r.options.variance, device));
  return r;
}

}  // namespace diffseg::eval

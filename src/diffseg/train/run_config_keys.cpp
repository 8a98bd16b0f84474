#include "diffseg/train/run_config_keys.h"

#include "diffseg/core/config.h"
#include "diffseg/core/error.h"

namespace diffseg::train {

const std::vector<std::string>& run_config_keys() {
  static const std::vector<std::string> keys = {
      // which entry of the file's presets: section was applied (apply_run_settings)
      "preset",
      // data
      "data.path", "data.spatial_dims", "data.image_channels", "data.num_classes", "data.patch", "data.overlap",
      "data.spacing_xyz", "data.split_file", "data.split_seed", "data.validation_fraction",
      // model
      "model.channels", "model.num_res_blocks", "model.kernel_size", "model.patch_size", "model.scale_factor",
      "model.num_heads", "model.head_dim", "model.widening_factor", "model.num_transformer_layers", "model.dropout",
      "model.time_injection", "model.gradient_checkpointing",
      // train
      "train.strategy", "train.batch_size", "train.accumulate_steps", "train.max_steps", "train.precision",
      "train.deterministic", "train.seed", "train.workers", "train.augment", "train.grad_clip", "train.weight_decay",
      "train.lr.init", "train.lr.peak", "train.lr.end", "train.lr.warmup_steps", "train.lr.decay_steps",
      "train.validate_every", "train.checkpoint_every", "train.keep_checkpoints", "train.validation_cases",
      "train.early_stopping.patience", "train.early_stopping.min_delta", "train.max_nonfinite_steps",
      "train.budget_batch", "train.init_from",
      // augmentation
      "augment.probability", "augment.rotation_deg", "augment.zoom", "augment.shear_deg", "augment.shift_fraction", "augment.shift_voxels",
      "augment.log_gamma",
      // loss
      "loss.dice", "loss.focal", "loss.cross_entropy",
      // diffusion
      "diffusion.num_timesteps", "diffusion.schedule_points", "diffusion.schedule", "diffusion.beta_start", "diffusion.beta_end",
      "diffusion.model_output", "diffusion.variance", "diffusion.time_sampler", "diffusion.importance_weight",
      "diffusion.self_conditioning_probability", "diffusion.reference_sc_next", "diffusion.noise",
      // evaluation and validation sampling
      "eval.sampler", "eval.steps", "eval.eta", "eval.time_input", "eval.postprocess",
      // distributed jobs
      "dist.timeout_s", "dist.bucket_mb", "dist.overlap"};
  return keys;
}

const std::vector<std::string>& run_config_open_sections() {
  static const std::vector<std::string> sections = {"data.preprocessing", "preprocess"};
  return sections;
}

void apply_run_settings(Config& config, const std::vector<Setting>& sets) {
  for (const Setting& s : sets) config.set(s);
  const std::string where = config.source().empty() ? std::string("the run config") : config.source().string();
  const YAML::Node presets = config.root()["presets"];
  if (presets) {
    if (!presets.IsMap()) throw UsageError(where + ": presets must be a section of named presets (name: settings)");
    for (const auto& kv : presets) {
      const std::string name = kv.first.Scalar();
      if (!kv.second.IsMap())
        throw UsageError(where + ": preset '" + name + "' must be a section of settings, like the config itself");
      const Config preset(kv.second);
      if (preset.has("preset") || preset.has("presets"))
        throw UsageError(where + ": preset '" + name + "' may not choose or define presets itself");
      preset.check_known_keys(run_config_keys(), run_config_open_sections(), "preset '" + name + "' of " + where);
    }
  }
  const std::string chosen = config.get<std::string>("preset", "");
  if (presets && !chosen.empty()) {
    if (!presets[chosen]) {
      std::string names;
      for (const auto& kv : presets) names += (names.empty() ? "" : ", ") + kv.first.Scalar();
      throw UsageError(where + ": no preset named '" + chosen + "' (it has: " + names + ")");
    }
    config.merge(YAML::Clone(presets[chosen]));
    for (const Setting& s : sets) config.set(s);  // what was asked for explicitly wins over the preset
  }
  config.erase("presets");
}

void check_run_config(const Config& config) {
  config.check_known_keys(run_config_keys(), run_config_open_sections(), "run config");
}

}  // namespace diffseg::train

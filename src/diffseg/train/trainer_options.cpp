#include "diffseg/train/trainer_options.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "diffseg/train/run_config_keys.h"

namespace diffseg::train {

TrainerOptions trainer_options_from_config(const Config& c) {
  check_run_config(c);  // every run config passes here: a misspelt key is an error, not a default
  TrainerOptions o;
  o.data = c.get<std::string>("data.path", "");
  o.strategy = c.get<std::string>("train.strategy", o.strategy);
  check_strategy_name(o.strategy);
  o.init_from = c.get<std::string>("train.init_from", "");
  o.max_steps = c.get<int64_t>("train.max_steps", o.max_steps);
  o.batch_size = c.get<int64_t>("train.batch_size", o.batch_size);
  o.accumulate_steps = c.get<int64_t>("train.accumulate_steps", o.accumulate_steps);
  o.dist_timeout_s = c.get<int64_t>("dist.timeout_s", o.dist_timeout_s);
  o.bucket_mb = c.get<int64_t>("dist.bucket_mb", o.bucket_mb);
  o.overlap_communication = c.get<bool>("dist.overlap", o.overlap_communication);
  o.patch = c.get<std::vector<int64_t>>("data.patch", {});
  o.overlap = c.get<std::vector<int64_t>>("data.overlap", {});
  o.lr.init = c.get<double>("train.lr.init", o.lr.init);
  o.lr.peak = c.get<double>("train.lr.peak", o.lr.peak);
  o.lr.end = c.get<double>("train.lr.end", o.lr.end);
  o.lr.warmup_steps = c.get<int64_t>("train.lr.warmup_steps", o.lr.warmup_steps);
  o.lr.decay_steps = c.get<int64_t>("train.lr.decay_steps", o.lr.decay_steps);
  o.weight_decay = c.get<double>("train.weight_decay", o.weight_decay);
  o.grad_clip = c.get<double>("train.grad_clip", o.grad_clip);
  o.checkpoint_every = c.get<int64_t>("train.checkpoint_every", o.checkpoint_every);
  o.keep_checkpoints = c.get<int64_t>("train.keep_checkpoints", o.keep_checkpoints);
  o.validate_every = c.get<int64_t>("train.validate_every", o.validate_every);
  o.validation_cases = c.get<int64_t>("train.validation_cases", o.validation_cases);
  o.patience = c.get<int64_t>("train.early_stopping.patience", o.patience);
  o.min_delta = c.get<double>("train.early_stopping.min_delta", o.min_delta);
  o.max_nonfinite_steps = c.get<int64_t>("train.max_nonfinite_steps", o.max_nonfinite_steps);
  o.budget_batch = c.get<int64_t>("train.budget_batch", o.budget_batch);
  o.workers = c.get<int>("train.workers", o.workers);
  o.precision = c.get<std::string>("train.precision", o.precision);
  o.deterministic = c.get<bool>("train.deterministic", o.deterministic);
  o.augment = c.get<bool>("train.augment", o.augment);
  o.augmentation.probability = c.get<double>("augment.probability", o.augmentation.probability);
  o.augmentation.max_rotation_deg = c.get<double>("augment.rotation_deg", o.augmentation.max_rotation_deg);
  o.augmentation.max_zoom = c.get<double>("augment.zoom", o.augmentation.max_zoom);
  o.augmentation.max_shear_deg = c.get<double>("augment.shear_deg", o.augmentation.max_shear_deg);
  o.augmentation.max_shift_fraction = c.get<double>("augment.shift_fraction", o.augmentation.max_shift_fraction);
  o.augmentation.max_shift_voxels =
      c.get<std::vector<double>>("augment.shift_voxels", o.augmentation.max_shift_voxels);
  o.augmentation.max_log_gamma = c.get<double>("augment.log_gamma", o.augmentation.max_log_gamma);
  o.seed = c.get<uint64_t>("train.seed", o.seed);
  o.loss.dice = c.get<double>("loss.dice", o.loss.dice);
  o.loss.focal = c.get<double>("loss.focal", o.loss.focal);
  o.loss.cross_entropy = c.get<double>("loss.cross_entropy", o.loss.cross_entropy);
  o.strategy_options.self_conditioning_probability =
      c.get<double>("diffusion.self_conditioning_probability", o.strategy_options.self_conditioning_probability);
  o.strategy_options.reference_sc_next = c.get<bool>("diffusion.reference_sc_next", false);
  o.schedule.name = diffusion::parse_beta_schedule(c.get<std::string>("diffusion.schedule", "linear"));
  o.schedule.num_timesteps = c.get<int64_t>("diffusion.num_timesteps", o.schedule.num_timesteps);
  o.schedule.schedule_points = c.get<int64_t>("diffusion.schedule_points", o.schedule.schedule_points);
  o.schedule.beta_start = c.get<double>("diffusion.beta_start", o.schedule.beta_start);
  o.schedule.beta_end = c.get<double>("diffusion.beta_end", o.schedule.beta_end);
  o.schedule.noise = diffusion::parse_noise_family(c.get<std::string>("diffusion.noise", "gaussian"));
  o.model_output = diffusion::parse_model_output(c.get<std::string>("diffusion.model_output", "x_start"));
  o.variance = diffusion::parse_variance_type(c.get<std::string>("diffusion.variance", "fixed_small"));
  o.time_sampler.kind = c.get<std::string>("diffusion.time_sampler", o.time_sampler.kind);
  o.time_sampler.weight = c.get<std::string>("diffusion.importance_weight", o.time_sampler.weight);
  o.sampler.kind = diffusion::parse_sampler(c.get<std::string>("eval.sampler", "ddpm"));
  o.sampler.steps = c.get<int64_t>("eval.steps", o.sampler.steps);
  o.sampler.eta = c.get<double>("eval.eta", o.sampler.eta);
  o.sampler.time_input = diffusion::parse_time_input(c.get<std::string>("eval.time_input", "training"));
  if (o.max_steps < 1) throw UsageError("train.max_steps must be >= 1");
  if (o.batch_size < 1) throw UsageError("train.batch_size must be >= 1");
  if (o.accumulate_steps < 1) throw UsageError("train.accumulate_steps must be >= 1");
  if (o.dist_timeout_s < 1) throw UsageError("dist.timeout_s must be >= 1 (seconds)");
  if (o.bucket_mb < 1) throw UsageError("dist.bucket_mb must be >= 1");
  if (o.checkpoint_every < 1 || o.validate_every < 1)
    throw UsageError("train.checkpoint_every and train.validate_every must be >= 1");
  for (const auto& [key, v] : {std::pair{"train.lr.init", o.lr.init}, {"train.lr.peak", o.lr.peak},
                               {"train.lr.end", o.lr.end}, {"train.weight_decay", o.weight_decay},
                               {"train.grad_clip", o.grad_clip}})
    if (!std::isfinite(v) || v < 0) throw UsageError(std::string(key) + " must be a finite number >= 0");
  if (o.lr.warmup_steps < 0 || o.lr.decay_steps < 0) throw UsageError("train.lr.warmup_steps/decay_steps must be >= 0");
  for (int64_t p : o.patch)
    if (p < 1) throw UsageError("data.patch sizes must be >= 1");
  for (int64_t v : o.overlap)
    if (v < 0) throw UsageError("data.overlap values must be >= 0");
  if (o.workers < 0) throw UsageError("train.workers must be >= 0");
  if (o.budget_batch < 0) throw UsageError("train.budget_batch must be >= 0 (0: step counts are the run's own)");
  if (!o.augmentation.max_shift_voxels.empty() && !o.patch.empty() &&
      o.augmentation.max_shift_voxels.size() != o.patch.size())
    throw UsageError("augment.shift_voxels needs one value per axis of data.patch (" +
                     std::to_string(o.patch.size()) + "), got " +
                     std::to_string(o.augmentation.max_shift_voxels.size()));
  for (double v : o.augmentation.max_shift_voxels)
    if (!std::isfinite(v) || v < 0) throw UsageError("augment.shift_voxels values must be finite numbers >= 0");
  if (o.sampler.steps < 1) throw UsageError("eval.steps must be >= 1");
  if (o.schedule.noise == diffusion::NoiseFamily::bernoulli) {
    // Bernoulli mask diffusion (docs/method.md): plain diffusion and recycling, x_start output, DDPM sampling.
    if (o.strategy == "sc_xt" || o.strategy == "sc_xt1")
      throw UsageError("diffusion.noise: bernoulli is not implemented for the self-conditioning strategy " +
                       o.strategy + " (use diffusion, rec_xt1 or rec_xT, or diffusion.noise: gaussian)");
    if (o.model_output != diffusion::ModelOutput::x_start)
      throw UsageError("diffusion.noise: bernoulli needs diffusion.model_output: x_start (the network predicts "
                       "class probabilities; there is no noise to predict)");
    if (o.sampler.kind != diffusion::SamplerKind::ddpm)
      throw UsageError("diffusion.noise: bernoulli samples with eval.sampler: ddpm (the categorical chain has no "
                       "DDIM)");
  }
  diffusion::make_betas(o.schedule);  // refuses an impossible chain here, before a run folder is touched
  if (o.sampler.steps > o.schedule.num_timesteps)
    throw UsageError("eval.steps (" + std::to_string(o.sampler.steps) + ") cannot exceed the training chain's " +
                     std::to_string(o.schedule.num_timesteps) + " points (diffusion.num_timesteps)");
  return o;
}

std::string rescale_to_budget(TrainerOptions& o, int64_t global_batch) {
  if (o.budget_batch <= 0 || global_batch <= 0 || o.budget_batch == global_batch) return "";
  const double factor = static_cast<double>(o.budget_batch) / static_cast<double>(global_batch);
  const auto scaled = [&](int64_t steps, int64_t at_least) {
    return std::max<int64_t>(at_least, static_cast<int64_t>(std::llround(static_cast<double>(steps) * factor)));
  };
  const std::string before = std::to_string(o.max_steps);
  o.max_steps = scaled(o.max_steps, 1);
  o.lr.warmup_steps = scaled(o.lr.warmup_steps, 0);
  o.lr.decay_steps = o.lr.decay_steps > 0 ? scaled(o.lr.decay_steps, 1) : 0;
  o.validate_every = scaled(o.validate_every, 1);
  o.checkpoint_every = scaled(o.checkpoint_every, 1);
  return "step counts written for a global batch of " + std::to_string(o.budget_batch) + " (train.budget_batch), "
         "this run's is " + std::to_string(global_batch) + ": " + before + " → " + std::to_string(o.max_steps) +
         " steps (" + std::to_string(o.max_steps * global_batch) + " samples), validation every " +
         std::to_string(o.validate_every) + ", checkpoints every " + std::to_string(o.checkpoint_every) +
         ", LR warm-up " + std::to_string(o.lr.warmup_steps) + " and decay " + std::to_string(o.lr.decay_steps) +
         " steps";
}

}  // namespace diffseg::train

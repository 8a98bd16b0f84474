#include "diffseg/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <cmath>
#include <cstdio>
#include <optional>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/core/fingerprint.h"
#include "diffseg/core/progress.h"
#include "diffseg/core/results.h"
#include "diffseg/core/run_lock.h"
#include "diffseg/core/runtime.h"
#include "diffseg/core/seed.h"
#include "diffseg/core/stop_request.h"
#include "diffseg/data/loader.h"
#include "diffseg/data/patches.h"
#include "diffseg/dist/gradient_reducer.h"
#include "diffseg/io/splits.h"
#include "diffseg/model/hash_dropout.h"
#include "diffseg/model/model_config.h"
#include "diffseg/model/weights.h"
#include "diffseg/train/autocast.h"
#include "diffseg/train/checkpoint.h"
#include "diffseg/train/init_from.h"
#include "diffseg/train/loss_scaler.h"
#include "diffseg/train/optimizer_step.h"
#include "diffseg/train/validation.h"

namespace diffseg::train {
namespace fs = std::filesystem;

namespace {

std::string format_number(double v) {  // %.6g: for messages and the job fingerprint
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// What every rank must share: the run config (without data.path, which may differ between machines) and the
// training data (ids, shapes and voxel sums of every case).
uint64_t job_fingerprint(const Config& config, const data::CaseCache& cases) {
  Config copy(YAML::Clone(config.root()));
  copy.set({"data.path", YAML::Node("")});
  std::string text = copy.dump();
  for (const data::CachedCase& c : cases.cases()) {
    text += c.id;
    for (int64_t s : c.image.sizes()) text.append(",").append(std::to_string(s));
    text += format_number(c.image.sum(torch::kDouble).item<double>());
    if (c.label.defined()) text += format_number(c.label.sum(torch::kDouble).item<double>());
  }
  return fingerprint(text);
}

// The bytes of every parameter: replicas that train correctly are bit-identical.
uint64_t weights_fingerprint(torch::nn::Module& net) {
  uint64_t h = kFingerprintStart;
  for (const at::Tensor& p : net.parameters()) {
    const at::Tensor c = p.detach().cpu().contiguous();
    h = fingerprint({static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()) * c.element_size()}, h);
  }
  return h;
}

// Dropout draws its mask seeds from the default generators; reseeding them from (seed, step) at every micro-batch
// gives every micro-batch and rank of a step the same seeds (the CPU masks then follow the global sample index),
// and makes them part of the step count's state. On a GPU, dropout is torch's own (positional masks), so the CUDA
// generator is also keyed by the micro-batch's first sample: slices of a step get different masks, though not the
// ones a single process would draw (GPU runs are equivalent in distribution, not bit for bit; docs/distributed.md).
void seed_default_generators(uint64_t seed, int64_t step, int64_t first_sample, c10::Device device) {
  const uint64_t s = mix_seed(seed ^ 0xD1D0D1D0ull, static_cast<uint64_t>(step));
  at::Generator cpu = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_current_seed(s);
  }
  if (!device.is_cpu()) {
    at::Generator g = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(mix_seed(s, static_cast<uint64_t>(first_sample)));
  }
}

// Sums over the samples of one step (this rank's micro-batches), all-reduced over the ranks.
enum Stat { kLoss, kDice, kFocal, kCrossEntropy, kNonFinite, kStop, kStatCount };

class Trainer {
 public:
  Trainer(Config config, TrainerOptions o, c10::Device device, bool resume, std::shared_ptr<dist::Group> group)
      : config_(std::move(config)), o_(std::move(o)), device_(device), resume_(resume),
        group_(group ? std::move(group) : dist::Group::single()),
        log_(o_.out / "log.csv", {"step", "loss", "dice", "focal", "cross_entropy", "lr", "grad_norm", "skipped", "seconds"}),
        validation_log_(o_.out / "validation.csv", {"step", "mean_dice"}) {
    const std::string rescaled = rescale_to_budget(o_, global_batch());
    if (!rescaled.empty() && group_->is_main()) spdlog::info("{}", rescaled);
  }

  TrainResult run();

 private:
  void load_data();
  void prepare_run_folder();
  void record_run();
  void build();
  void restore();
  void keep_recorded_init_from();
  bool step();  // one optimizer step; false when the run must stop (signal)
  void learn_time_sampler(const at::Tensor& records, bool applied);
  bool validate_and_track();
  void save_checkpoints(bool best);
  void write_status();
  int64_t global_batch() const { return o_.batch_size * group_->size() * o_.accumulate_steps; }

  Config config_;
  TrainerOptions o_;
  c10::Device device_;
  bool resume_;
  std::shared_ptr<dist::Group> group_;
  CsvAppender log_, validation_log_;

  std::shared_ptr<const data::CaseCache> train_cases_;
  std::vector<data::CachedCase> val_;
  int64_t k_ = 0;
  std::optional<model::UNet> net_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::optional<diffusion::GaussianDiffusion> diffusion_;
  std::unique_ptr<diffusion::TimeSampler> time_sampler_;
  bool time_sampler_learns_ = false;  // has state (importance sampling): the step's losses are gathered for it
  std::unique_ptr<Strategy> strategy_;
  std::unique_ptr<data::BatchLoader> loader_;
  std::unique_ptr<dist::GradientReducer> reducer_;
  Precision precision_ = Precision::float32;
  std::unique_ptr<LossScaler> scaler_;
  std::unique_ptr<RunLock> lock_;  // held by rank 0 while it writes the run folder
  TrainingState state_;
  TrainResult result_;
  int64_t nonfinite_in_row_ = 0;
  std::unique_ptr<Progress> progress_;
  std::chrono::steady_clock::time_point start_;
  fs::path last_ckpt_;
};

void Trainer::load_data() {
  const io::Dataset dataset = io::read_dataset(o_.data, io::SplitOptions::from_config(config_));
  train_cases_ = std::make_shared<const data::CaseCache>(dataset, "training");
  if (train_cases_->size() == 0) throw InputError(dataset.root / "dataset.json", "has no training cases");
  const data::CaseCache all_val(dataset, "validation");
  for (const auto& c : all_val.cases())
    if (c.label.defined() && (o_.validation_cases <= 0 || static_cast<int64_t>(val_.size()) < o_.validation_cases))
      val_.push_back(c);
  const data::CachedCase& first = (*train_cases_)[0];
  k_ = dataset.num_classes();
  // The dataset decides these; a config that says otherwise is told so rather than silently overridden.
  for (const auto& [key, value] : {std::pair<std::string, int64_t>{"data.num_classes", k_},
                                   {"data.spatial_dims", first.spatial_dims},
                                   {"data.image_channels", first.image.size(0)}}) {
    if (config_.has(key) && config_.get<int64_t>(key, value) != value && group_->is_main())
      spdlog::warn("{} = {} in the config, but the dataset has {}: using the dataset's", key,
                   config_.get<int64_t>(key, value), value);
    config_.set_node(key, YAML::Node(value));
  }
  config_.set({"train.strategy", YAML::Node(o_.strategy)});
  // How the data was made from raw scans (dataset.json), so `infer` can do the same to a raw scan; and the
  // training spacing, so it can warn about an input far from it.
  if (!dataset.preprocessing.empty()) config_.set_node("data.preprocessing", YAML::Load(dataset.preprocessing));
  config_.set_node("data.spacing_xyz", flow_list(std::vector<double>(first.geometry.spacing.begin(),
                                                                      first.geometry.spacing.begin() + first.spatial_dims)));
  if (o_.patch.empty()) o_.patch = first.label.sizes().vec();
  if (static_cast<int>(o_.patch.size()) != first.spatial_dims)
    throw UsageError("data.patch needs " + std::to_string(first.spatial_dims) + " sizes for this dataset");
  const std::vector<int64_t> size = first.label.sizes().vec();
  if (const double f = data::padding_factor(size, o_.patch); f >= data::kPaddingWarningFactor)
    spdlog::warn("training case {} ({}) is smaller than data.patch ({}): crops are zero-padded to the patch, {:.0f}x "
                 "its voxels per sample, and inference pays the same; a data.patch near the image size is that much "
                 "faster", first.id, fmt::join(size, "x"), fmt::join(o_.patch, "x"), f);
  config_.set_node("data.patch", flow_list(o_.patch));
}

void Trainer::prepare_run_folder() {
  last_ckpt_ = o_.out / "checkpoints" / "last.ckpt";
  if (resume_ && !fs::exists(last_ckpt_))
    throw UsageError("--resume: no checkpoint in " + (o_.out / "checkpoints").string());
  if (!resume_ && fs::exists(last_ckpt_))
    throw UsageError(o_.out.string() + " already holds a run; use --resume to continue it or choose another --out");
  if (!group_->is_main()) return;
  ensure_directory(o_.out / "checkpoints");  // fail early if the run folder cannot be written
  lock_ = std::make_unique<RunLock>(o_.out, resume_ ? "train --resume" : "train");
  // Left by a process killed while writing: nobody else can be writing here now.
  const int stale = remove_abandoned_temporaries(o_.out) + remove_abandoned_temporaries(o_.out / "checkpoints");
  if (stale > 0) spdlog::info("removed {} unfinished temporary file(s) of an interrupted run", stale);
}

// Only once the run could be built and, on --resume, its checkpoint loaded: a failed resume leaves the run as it
// was. A fresh run also drops the log rows of an earlier attempt that died before its first checkpoint.
void Trainer::record_run() {
  if (!group_->is_main()) return;
  if (!resume_) {
    log_.keep_rows_below(0);
    validation_log_.keep_rows_below(0);
  }
  write_text_atomically(o_.out / "config.yaml", config_.dump());
}

void Trainer::build() {
  use_deterministic_algorithms(o_.deterministic);  // before the first CUDA matmul (cuBLAS reads it once)
  torch::manual_seed(o_.seed);
  const NetworkInputs inputs = network_inputs(o_.strategy, k_);
  net_.emplace(model::unet_options_from_config(config_, inputs.mask_channels, inputs.time_conditioning));
  model::initialise(*net_, o_.seed);
  if (!o_.init_from.empty() && !resume_) {  // a resumed run continues from its own checkpoint (restore)
    const fs::path weights = initialise_from_supervised_run(*net_, o_.init_from, o_.model_output);
    config_.set({"train.init_from", YAML::Node(weights.string())});  // the run says where it came from
    if (group_->is_main())
      spdlog::info("{} starts from the supervised network {} (docs/method.md, Fine-tuning from a supervised model)",
                   o_.strategy, weights.string());
  }
  (*net_)->to(device_);
  optimizer_ = std::make_unique<torch::optim::AdamW>((*net_)->parameters(), torch::optim::AdamWOptions(o_.lr.at(0))
                                                                                 .betas({0.9, 0.999})
                                                                                 .eps(1e-8)
                                                                                 .weight_decay(o_.weight_decay));
  diffusion_ = diffusion::GaussianDiffusion::from_schedule(o_.schedule, o_.model_output, o_.variance, device_);
  time_sampler_ = diffusion::make_time_sampler(o_.time_sampler, diffusion_->num_timesteps());
  time_sampler_learns_ = !time_sampler_->state().empty();
  strategy_ = make_strategy(o_.strategy, o_.strategy_options);
  precision_ = parse_precision(o_.precision);
  scaler_ = std::make_unique<LossScaler>(precision_ == Precision::float16);
  state_.world_size = group_->size();
  state_.batch_size = o_.batch_size;
  state_.accumulate_steps = o_.accumulate_steps;
}

void Trainer::restore() {
  TrainingState saved;
  load_checkpoint(last_ckpt_, *net_, *optimizer_, saved, *time_sampler_);
  const int64_t saved_global = saved.world_size * saved.batch_size * saved.accumulate_steps;
  if (saved.batch_size > 0 && (saved.world_size != group_->size() || saved.batch_size != o_.batch_size ||
                               saved.accumulate_steps != o_.accumulate_steps) && group_->is_main()) {
    const std::string was = std::to_string(saved.world_size) + " × " + std::to_string(saved.batch_size) + " × " +
                            std::to_string(saved.accumulate_steps);
    const std::string now = std::to_string(group_->size()) + " × " + std::to_string(o_.batch_size) + " × " +
                            std::to_string(o_.accumulate_steps);
    if (saved_global == global_batch())
      spdlog::info("resuming with another layout (ranks × batch × accumulation {} → {}), same global batch {}: the "
                   "run continues as it would have (up to float summation order)", was, now, global_batch());
    else
      spdlog::warn("resuming with global batch {} (ranks × batch × accumulation {}) where the run had {} ({}): data "
                   "order and random streams continue from step {} but differ from an uninterrupted run",
                   global_batch(), now, saved_global, was, saved.step);
  }
  saved.world_size = group_->size();
  saved.batch_size = o_.batch_size;
  saved.accumulate_steps = o_.accumulate_steps;
  state_ = saved;
  keep_recorded_init_from();
  scaler_ = std::make_unique<LossScaler>(precision_ == Precision::float16,
                                         LossScalerState{state_.loss_scale, state_.loss_scale_good_steps});
  if (group_->is_main()) {
    log_.keep_rows_below(state_.step);
    validation_log_.keep_rows_below(state_.step + 1);
    spdlog::info("resuming {} at step {} (best validation Dice {:.4f} at step {})", o_.out.string(), state_.step,
                 state_.best_score, state_.best_step);
  }
}

// On --resume, config.yaml keeps saying where the run's weights first came from (train.init_from as the fresh run
// recorded it, or none), whatever the resuming command's config says: the network comes from the checkpoint.
void Trainer::keep_recorded_init_from() {
  const fs::path recorded_file = o_.out / "config.yaml";
  const Config recorded = fs::exists(recorded_file) ? Config::load(recorded_file) : Config();
  const std::string was = recorded.get<std::string>("train.init_from", "");
  const std::string asked = config_.get<std::string>("train.init_from", "");
  if (!asked.empty() && asked != was && group_->is_main())
    spdlog::info("train.init_from ({}) is not used on --resume: the run continues from its checkpoint", asked);
  if (!was.empty()) {
    config_.set({"train.init_from", YAML::Node(was)});
  } else if (config_.has("train.init_from")) {
    YAML::Node train = config_.root()["train"];  // a handle on the config's own node
    train.remove("init_from");
  }
}

void Trainer::learn_time_sampler(const at::Tensor& records, bool applied) {
  if (!applied) return;
  // Every rank's (sample, t, loss) rows, in global sample order: the update is the one a single process with
  // the whole global batch makes.
  const at::Tensor all = group_->allgather(records).reshape({-1, 3});
  const at::Tensor ordered = all.index_select(0, std::get<1>(all.select(1, 0).sort()));
  time_sampler_->update(ordered.select(1, 1).to(torch::kLong), ordered.select(1, 2));
}

bool Trainer::step() {
  const double lr = o_.lr.at(state_.step);
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  (*net_)->train();
  optimizer_->zero_grad();
  at::Tensor stats = torch::zeros({kStatCount}, torch::kDouble);
  std::vector<at::Tensor> records;
  const bool learn_times = time_sampler_learns_ && strategy_->is_diffusion();  // same on every rank
  for (int64_t m = 0; m < o_.accumulate_steps; ++m) {
    const data::Batch batch = loader_->next();
    const at::Tensor image = batch.image.to(device_, /*non_blocking=*/true), labels = batch.label.to(device_, true);
    seed_default_generators(o_.seed, batch.step, batch.first_sample, device_);
    model::DropoutSampleScope dropout_samples(batch.first_sample);
    diffusion::SampleStreams streams(o_.seed, batch.step, batch.first_sample, o_.batch_size);
    StepContext ctx{[&](const at::Tensor& x, const at::Tensor& mask, const at::Tensor& t) {
                      return (*net_)->forward(x, mask, t);
                    },
                    *diffusion_, *time_sampler_, streams, o_.loss, k_};
    if (reducer_) reducer_->begin_backward(m + 1 == o_.accumulate_steps);
    const MicroStep micro =
        accumulate_gradients(*strategy_, ctx, image, labels, precision_, device_, o_.accumulate_steps, scaler_->scale());
    const double n = static_cast<double>(o_.batch_size);
    stats[kLoss] += micro.loss * n;
    stats[kDice] += micro.step.terms.dice.sum().item<double>();
    stats[kFocal] += micro.step.terms.focal.sum().item<double>();
    stats[kCrossEntropy] += micro.step.terms.cross_entropy.sum().item<double>();
    stats[kNonFinite] += micro.finite ? 0.0 : 1.0;
    if (learn_times)
      records.push_back(torch::stack({torch::arange(batch.first_sample, batch.first_sample + o_.batch_size).to(torch::kDouble),
                                      micro.step.t.cpu().to(torch::kDouble),
                                      micro.step.terms.per_sample.detach().cpu().to(torch::kDouble)}, 1));
  }
  if (reducer_) reducer_->finish();
  stats[kStop] = stop_requested() ? 1.0 : 0.0;
  group_->allreduce_sum(stats);  // one small all-reduce: the step's global loss, and whether any rank must stop

  const double g = static_cast<double>(global_batch());
  const bool finite_loss = stats[kNonFinite].item<double>() == 0;
  bool applied = false;
  scaler_->unscale((*net_)->parameters());
  const double grad_norm = clip_and_step(*optimizer_, (*net_)->parameters(), o_.grad_clip, finite_loss, applied);
  // float16: an overflowing gradient with a finite loss means the scale is too high, not that training diverged.
  const bool overflow = !applied && finite_loss && scaler_->enabled() && scaler_->scale() > 1.0;
  scaler_->update(applied);
  state_.loss_scale = scaler_->state().scale;
  state_.loss_scale_good_steps = scaler_->state().good_steps;
  if (learn_times) learn_time_sampler(torch::cat(records), applied);
  if (applied) {
    nonfinite_in_row_ = 0;
  } else if (overflow) {
    ++state_.skipped;
    if (group_->is_main())
      spdlog::info("step {}: float16 gradient overflow, step skipped, loss scale lowered to {}", state_.step,
                   scaler_->scale());
  } else {
    ++state_.skipped;
    if (++nonfinite_in_row_ >= o_.max_nonfinite_steps)
      throw Error("training stopped: " + std::to_string(nonfinite_in_row_) +
                  " steps in a row had a non-finite loss or gradient (lower the learning rate?); the last good "
                  "checkpoint is " + last_ckpt_.string());
    if (group_->is_main()) spdlog::warn("step {}: non-finite loss or gradient, step skipped", state_.step);
  }
  const double loss = stats[kLoss].item<double>() / g;
  if (group_->is_main()) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    log_.append({state_.step, loss, stats[kDice].item<double>() / g, stats[kFocal].item<double>() / g,
                 stats[kCrossEntropy].item<double>() / g, lr, grad_norm, int64_t{applied ? 0 : 1}, seconds});
  }
  ++state_.step;
  if (progress_) progress_->advance(1, "loss " + format_number(loss) + " lr " + format_number(lr));
  return stats[kStop].item<double>() == 0;
}

bool Trainer::validate_and_track() {
  PredictOptions po;
  po.sampler = o_.sampler;
  po.patch = o_.patch;
  po.overlap = o_.overlap;
  const double score = validate(*net_, *strategy_, *diffusion_, val_, po, o_.seed, k_, *group_);
  bool best = false;
  if (std::isfinite(score) && score > state_.best_score + o_.min_delta) {
    state_.best_score = score;
    state_.best_step = state_.step;
    state_.evals_without_improvement = 0;
    best = true;
  } else {
    ++state_.evals_without_improvement;
  }
  if (group_->is_main()) validation_log_.append({state_.step, score});
  if (progress_) progress_->set_status("val Dice " + format_number(score) + " (best " + format_number(state_.best_score) + ")");
  return best;
}

void Trainer::save_checkpoints(bool best) {
  if (!group_->is_main()) return;
  save_checkpoint(last_ckpt_, *net_, *optimizer_, state_, *time_sampler_);
  char name[32];
  std::snprintf(name, sizeof name, "step_%06lld.ckpt", static_cast<long long>(state_.step));
  fs::copy_file(last_ckpt_, o_.out / "checkpoints" / name, fs::copy_options::overwrite_existing);
  // Keep only the newest `keep_checkpoints` step files.
  std::vector<fs::path> steps;
  for (const auto& e : fs::directory_iterator(o_.out / "checkpoints"))
    if (e.path().filename().string().rfind("step_", 0) == 0) steps.push_back(e.path());
  std::sort(steps.begin(), steps.end());
  for (size_t i = 0; i + static_cast<size_t>(std::max<int64_t>(o_.keep_checkpoints, 1)) < steps.size(); ++i)
    fs::remove(steps[i]);
  model::save_state_dict(**net_, o_.out / "model_last.pt");
  if (best) {
    save_checkpoint(o_.out / "checkpoints" / "best.ckpt", *net_, *optimizer_, state_, *time_sampler_);
    model::save_state_dict(**net_, o_.out / "model_best.pt");
  }
}

void Trainer::write_status() {
  if (!group_->is_main()) return;
  nlohmann::json status{{"steps", state_.step},
                        {"max_steps", o_.max_steps},
                        {"skipped", state_.skipped},
                        {"best_step", state_.best_step},
                        {"best_mean_dice", std::isfinite(state_.best_score) ? nlohmann::json(state_.best_score) : nlohmann::json(nullptr)},
                        {"stopped_early", result_.stopped_early},
                        {"world_size", group_->size()},
                        {"global_batch", global_batch()},
                        {"finished", true}};
  write_text_atomically(o_.out / "status.json", status.dump(2) + "\n");
}

TrainResult Trainer::run() {
  install_stop_handlers();
  group_->run_everywhere("loading the data and preparing the run", [&] {
    load_data();
    prepare_run_folder();
    build();
    if (resume_) restore();
    record_run();
  });
  if (group_->size() > 1)  // reads every training voxel: not for the single-process path
    group_->require_identical("config or dataset", job_fingerprint(config_, *train_cases_));
  group_->require_identical("checkpoint (step count)", static_cast<uint64_t>(state_.step));
  if (group_->size() > 1) {
    std::vector<at::Tensor> shared = (*net_)->parameters();
    for (const auto& b : (*net_)->buffers()) shared.push_back(b);
    dist::broadcast_tensors(*group_, shared);
    dist::ReducerOptions ro;
    ro.bucket_bytes = o_.bucket_mb << 20;
    ro.overlap = o_.overlap_communication;
    reducer_ = std::make_unique<dist::GradientReducer>(group_, (*net_)->parameters(), ro);
    if (group_->is_main())
      spdlog::info("data parallel over {} ranks ({}): global batch {} = {} × {} × {}; {:.1f} MB of gradients in {} "
                   "bucket(s) per step", group_->size(), group_->backend_name(), global_batch(), group_->size(),
                   o_.batch_size, o_.accumulate_steps, static_cast<double>(reducer_->bytes_per_step()) / 1e6,
                   reducer_->bucket_count());
  }

  data::LoaderOptions lo;
  lo.batch_size = o_.batch_size;
  lo.patch = o_.patch;
  lo.augment = o_.augment;
  lo.augmentation = o_.augmentation;
  lo.workers = o_.workers;
  lo.seed = o_.seed;
  lo.rank = group_->rank();
  lo.world_size = group_->size();
  lo.accumulate_steps = o_.accumulate_steps;
  lo.pin_memory = device_.is_cuda();
  loader_ = std::make_unique<data::BatchLoader>(train_cases_, lo, state_.step * o_.accumulate_steps);

  if (group_->is_main()) {
    progress_ = std::make_unique<Progress>("train " + o_.strategy, o_.max_steps, "steps");
    progress_->advance(state_.step);
  }
  start_ = std::chrono::steady_clock::now();
  bool stop = false;
  while (state_.step < o_.max_steps && !stop) {
    const bool go_on = step();
    bool best = false;
    if (state_.step % o_.validate_every == 0 || state_.step == o_.max_steps) {
      best = validate_and_track();
      if (o_.patience > 0 && state_.evals_without_improvement >= o_.patience) {
        if (group_->is_main())
          spdlog::info("early stopping at step {}: no improvement for {} evaluations", state_.step, o_.patience);
        stop = result_.stopped_early = true;
      }
    }
    if (!go_on || best || stop || state_.step % o_.checkpoint_every == 0 || state_.step == o_.max_steps)
      save_checkpoints(best);
    if (!go_on) {
      if (progress_) progress_->finish();
      group_->barrier();  // no rank exits (and makes the launcher signal the others) before rank 0 has saved
      throw InterruptedError("stopped by a signal after step " + std::to_string(state_.step) + "; the checkpoint " +
                             last_ckpt_.string() + " holds it: run the same command with --resume to continue");
    }
  }
  if (progress_) progress_->finish();
  if (group_->size() > 1) {
    // Replicas are bit-identical when every rank runs the same kernels; ranks on different CPUs (AVX2 vs AVX-512)
    // or thread counts may differ in the last bits, which is worth knowing but not an error.
    const at::Tensor all =
        group_->allgather(at::full({1}, static_cast<int64_t>(weights_fingerprint(**net_)), at::kLong));
    const bool identical = (all == all[0]).all().item<bool>();
    if (group_->is_main() && identical) spdlog::info("all {} ranks hold identical weights", group_->size());
    if (group_->is_main() && !identical)
      spdlog::warn("the ranks' weights differ in their last bits (different CPUs or thread counts?); rank 0's are "
                   "saved");
  }
  write_status();
  result_.steps = state_.step;
  result_.skipped = state_.skipped;
  result_.best_score = state_.best_score;
  result_.best_step = state_.best_step;
  return result_;
}

}  // namespace

TrainResult run_training(Config config, TrainerOptions options, c10::Device device, bool resume,
                         std::shared_ptr<dist::Group> group) {
  Trainer trainer(std::move(config), std::move(options), device, resume, std::move(group));
  return trainer.run();
}

}  // namespace diffseg::train

#include "diffseg/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/core/progress.h"
#include "diffseg/data/loader.h"
#include "diffseg/io/splits.h"
#include "diffseg/model/model_config.h"
#include "diffseg/model/weights.h"
#include "diffseg/train/autocast.h"
#include "diffseg/train/checkpoint.h"
#include "diffseg/train/optimizer_step.h"
#include "diffseg/train/predictor.h"

namespace diffseg::train {
namespace fs = std::filesystem;

namespace {


// Keeps the header and the rows whose first field (the step) is below `max_step`: a resumed run rewrites the
// steps after its checkpoint, so they must not appear twice.
void truncate_log(const fs::path& path, int64_t max_step) {
  std::ifstream in(path);
  if (!in) return;
  std::string line, kept;
  bool header = true;
  while (std::getline(in, line)) {
    if (header || (!line.empty() && std::stoll(line.substr(0, line.find(','))) < max_step)) kept += line + "\n";
    header = false;
  }
  in.close();
  write_text_atomically(path, kept);
}

void append_line(const fs::path& path, const std::string& header, const std::string& line) {
  const bool fresh = !fs::exists(path) || fs::file_size(path) == 0;
  std::ofstream out(path, std::ios::app);
  if (fresh) out << header << "\n";
  out << line << "\n";
  out.flush();
  if (!out) throw OutputError(path, "write failed (disk full or not writable?)");
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

TrainResult run_training(Config config, TrainerOptions o, c10::Device device, bool resume) {
  // --- data: read once, geometry and class count come from the dataset
  const io::Dataset dataset = io::read_dataset(o.data, io::SplitOptions::from_config(config));
  const auto train_cases = std::make_shared<const data::CaseCache>(dataset, "training");
  if (train_cases->size() == 0) throw InputError(dataset.root / "dataset.json", "has no training cases");
  std::vector<data::CachedCase> val;
  {
    const data::CaseCache all_val(dataset, "validation");
    for (const auto& c : all_val.cases())
      if (c.label.defined() && (o.validation_cases <= 0 || static_cast<int64_t>(val.size()) < o.validation_cases))
        val.push_back(c);
  }
  const data::CachedCase& first = (*train_cases)[0];
  const int64_t k = dataset.num_classes();
  config.set("data.num_classes=" + std::to_string(k));
  config.set("data.spatial_dims=" + std::to_string(first.spatial_dims));
  config.set("data.image_channels=" + std::to_string(first.image.size(0)));
  config.set("train.strategy=" + o.strategy);
  if (o.patch.empty()) o.patch = first.label.sizes().vec();
  if (static_cast<int>(o.patch.size()) != first.spatial_dims)
    throw UsageError("data.patch needs " + std::to_string(first.spatial_dims) + " sizes for this dataset");
  {
    std::string patch;
    for (int64_t p : o.patch) patch += (patch.empty() ? "" : ",") + std::to_string(p);
    config.set("data.patch=[" + patch + "]");
  }

  // --- run folder: fail early if it cannot be written
  ensure_directory(o.out / "checkpoints");
  const fs::path last_ckpt = o.out / "checkpoints" / "last.ckpt";
  if (resume && !fs::exists(last_ckpt))
    throw UsageError("--resume: no checkpoint in " + (o.out / "checkpoints").string());
  if (!resume && fs::exists(last_ckpt))
    throw UsageError(o.out.string() + " already holds a run; use --resume to continue it or choose another --out");
  write_text_atomically(o.out / "config.yaml", config.dump());

  // --- model, optimiser, diffusion, strategy
  torch::manual_seed(o.seed);  // dropout and anything else on the default generator
  const NetworkInputs inputs = network_inputs(o.strategy, k);
  model::UNet net(model::unet_options_from_config(config, inputs.mask_channels, inputs.time_conditioning));
  model::initialise(net, o.seed);
  net->to(device);
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(o.lr.at(0))
                                                       .betas({0.9, 0.999})
                                                       .eps(1e-8)
                                                       .weight_decay(o.weight_decay));
  const diffusion::GaussianDiffusion diff =
      diffusion::GaussianDiffusion::from_schedule(o.schedule, o.model_output, o.variance, device);
  auto time_sampler = diffusion::make_time_sampler(o.time_sampler, diff.num_timesteps());
  auto strategy = make_strategy(o.strategy, o.strategy_options);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(o.seed ^ 0x5EEDull);
  TrainingState state;
  if (resume) {
    load_checkpoint(last_ckpt, net, optimizer, state, *time_sampler, generator);
    truncate_log(o.out / "log.csv", state.step);
    truncate_log(o.out / "validation.csv", state.step + 1);
    spdlog::info("resuming {} at step {} (best validation Dice {:.4f} at step {})", o.out.string(), state.step,
                 state.best_score, state.best_step);
  }
  const Precision precision = parse_precision(o.precision);
  StepContext ctx{[&](const at::Tensor& x, const at::Tensor& m, const at::Tensor& t) { return net->forward(x, m, t); },
                  diff, *time_sampler, generator, o.loss, k};

  data::LoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.patch = o.patch;
  lo.augment = o.augment;
  lo.augmentation = o.augmentation;
  lo.workers = o.workers;
  lo.seed = o.seed;
  data::BatchLoader loader(train_cases, lo, state.step);

  auto validate = [&]() {
    PredictOptions po;
    po.sampler = o.sampler;
    po.patch = o.patch;
    po.overlap = o.overlap;
    double sum = 0;
    for (size_t i = 0; i < val.size(); ++i) {
      at::Generator g = at::make_generator<at::CPUGeneratorImpl>(o.seed + 1000003ull * (i + 1));
      const at::Tensor logp = predict_log_probabilities(net, *strategy, diff, val[i].image.to(device), po, g);
      sum += mean_foreground_dice(logp[logp.size(0) - 1].argmax(0).cpu(), val[i].label, k);
    }
    return val.empty() ? std::nan("") : sum / static_cast<double>(val.size());
  };
  auto save_all = [&](bool best) {
    save_checkpoint(last_ckpt, net, optimizer, state, *time_sampler, generator);
    char name[32];
    std::snprintf(name, sizeof name, "step_%06lld.ckpt", static_cast<long long>(state.step));
    fs::copy_file(last_ckpt, o.out / "checkpoints" / name, fs::copy_options::overwrite_existing);
    // Keep only the newest `keep_checkpoints` step files.
    std::vector<fs::path> steps;
    for (const auto& e : fs::directory_iterator(o.out / "checkpoints"))
      if (e.path().filename().string().rfind("step_", 0) == 0) steps.push_back(e.path());
    std::sort(steps.begin(), steps.end());
    for (size_t i = 0; i + static_cast<size_t>(std::max<int64_t>(o.keep_checkpoints, 1)) < steps.size(); ++i)
      fs::remove(steps[i]);
    model::save_state_dict(*net, o.out / "model_last.pt");
    if (best) {
      save_checkpoint(o.out / "checkpoints" / "best.ckpt", net, optimizer, state, *time_sampler, generator);
      model::save_state_dict(*net, o.out / "model_best.pt");
    }
  };

  TrainResult result;
  int64_t nonfinite_in_row = 0;
  bool stop = false;
  Progress progress("train " + o.strategy, o.max_steps, "steps");
  progress.advance(state.step);
  const auto start = std::chrono::steady_clock::now();
  while (state.step < o.max_steps && !stop) {
    const data::Batch batch = loader.next();
    const at::Tensor image = batch.image.to(device), labels = batch.label.to(device);
    const double lr = o.lr.at(state.step);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    net->train();
    const UpdateResult u =
        optimizer_step(*strategy, ctx, optimizer, net->parameters(), image, labels, precision, device, o.grad_clip);
    const StepResult& r = u.step;
    const double loss = u.loss, grad_norm = u.grad_norm;
    const bool finite = u.applied;
    if (finite) {
      nonfinite_in_row = 0;
    } else {
      ++state.skipped;
      if (++nonfinite_in_row >= o.max_nonfinite_steps)
        throw Error("training stopped: " + std::to_string(nonfinite_in_row) +
                    " steps in a row had a non-finite loss or gradient (lower the learning rate?); the last good "
                    "checkpoint is " + last_ckpt.string());
      spdlog::warn("step {}: non-finite loss or gradient, step skipped", state.step);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    append_line(o.out / "log.csv", "step,loss,dice,focal,cross_entropy,lr,grad_norm,skipped,seconds",
                std::to_string(state.step) + "," + fmt(loss) + "," + fmt(r.terms.dice.mean().item<double>()) + "," +
                    fmt(r.terms.focal.mean().item<double>()) + "," + fmt(r.terms.cross_entropy.mean().item<double>()) +
                    "," + fmt(lr) + "," + fmt(grad_norm) + "," + std::to_string(finite ? 0 : 1) + "," + fmt(seconds));
    ++state.step;
    progress.advance(1, "loss " + fmt(loss) + " lr " + fmt(lr));

    bool best = false;
    if (state.step % o.validate_every == 0 || state.step == o.max_steps) {
      const double score = validate();
      if (std::isfinite(score) && score > state.best_score + o.min_delta) {
        state.best_score = score;
        state.best_step = state.step;
        state.evals_without_improvement = 0;
        best = true;
      } else {
        ++state.evals_without_improvement;
      }
      append_line(o.out / "validation.csv", "step,mean_dice", std::to_string(state.step) + "," + fmt(score));
      progress.set_status("val Dice " + fmt(score) + " (best " + fmt(state.best_score) + ")");
      if (o.patience > 0 && state.evals_without_improvement >= o.patience) {
        spdlog::info("early stopping at step {}: no improvement for {} evaluations", state.step, o.patience);
        stop = result.stopped_early = true;
      }
    }
    if (best || stop || state.step % o.checkpoint_every == 0 || state.step == o.max_steps) save_all(best);
  }
  progress.finish();
  nlohmann::json status{{"steps", state.step},       {"max_steps", o.max_steps},
                        {"skipped", state.skipped},  {"best_step", state.best_step},
                        {"best_mean_dice", std::isfinite(state.best_score) ? nlohmann::json(state.best_score) : nlohmann::json(nullptr)},
                        {"stopped_early", result.stopped_early}, {"finished", true}};
  write_text_atomically(o.out / "status.json", status.dump(2) + "\n");
  result.steps = state.step;
  result.skipped = state.skipped;
  result.best_score = state.best_score;
  result.best_step = state.best_step;
  return result;
}

}  // namespace diffseg::train

#include "diffseg/train/checkpoint.h"

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"

namespace diffseg::train {
namespace fs = std::filesystem;

namespace {
at::Tensor scalar(double v) { return torch::tensor(v, torch::kDouble); }

// Module::save writes a module's own tensors under their names and each child module as a nested archive.
void collect_tensors(torch::serialize::InputArchive& archive, const std::string& prefix,
                     std::map<std::string, torch::Tensor>& out) {
  for (const std::string& key : archive.keys()) {
    torch::Tensor t;
    if (archive.try_read(key, t)) {
      out[prefix + key] = t;
      continue;
    }
    torch::serialize::InputArchive child;
    if (archive.try_read(key, child)) collect_tensors(child, prefix + key + ".", out);
  }
}
}  // namespace

void save_checkpoint(const fs::path& path, model::UNet& net, torch::optim::Optimizer& optimizer,
                     const TrainingState& state, const diffusion::TimeSampler& time_sampler) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive, sampler_archive;
  net->save(model_archive);
  optimizer.save(optimizer_archive);
  for (const auto& [name, t] : time_sampler.state()) sampler_archive.write(name, t);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("time_sampler", sampler_archive);
  archive.write("step", scalar(static_cast<double>(state.step)));
  archive.write("skipped", scalar(static_cast<double>(state.skipped)));
  archive.write("best_score", scalar(state.best_score));
  archive.write("best_step", scalar(static_cast<double>(state.best_step)));
  archive.write("evals_without_improvement", scalar(static_cast<double>(state.evals_without_improvement)));
  archive.write("world_size", scalar(static_cast<double>(state.world_size)));
  archive.write("batch_size", scalar(static_cast<double>(state.batch_size)));
  archive.write("accumulate_steps", scalar(static_cast<double>(state.accumulate_steps)));
  archive.write("loss_scale", scalar(state.loss_scale));
  archive.write("loss_scale_good_steps", scalar(static_cast<double>(state.loss_scale_good_steps)));
  write_atomically(path, [&](const fs::path& tmp) {
    try {
      archive.save_to(tmp.string());
    } catch (const std::exception& e) {
      throw OutputError(path, std::string("cannot write checkpoint: ") + e.what());
    }
  });
}

void load_checkpoint(const fs::path& path, model::UNet& net, torch::optim::Optimizer& optimizer, TrainingState& state,
                     diffusion::TimeSampler& time_sampler) {
  torch::serialize::InputArchive archive, model_archive, optimizer_archive, sampler_archive;
  try {
    archive.load_from(path.string());
    archive.read("model", model_archive);
    net->load(model_archive);
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    archive.read("time_sampler", sampler_archive);
    std::map<std::string, at::Tensor> sampler_state;
    for (const auto& [name, t] : time_sampler.state()) {
      at::Tensor v;
      sampler_archive.read(name, v);
      sampler_state[name] = v;
    }
    time_sampler.load_state(sampler_state);
    auto read = [&](const char* key) {
      at::Tensor t;
      archive.read(key, t);
      return t.item<double>();
    };
    state.step = static_cast<int64_t>(read("step"));
    state.skipped = static_cast<int64_t>(read("skipped"));
    state.best_score = read("best_score");
    state.best_step = static_cast<int64_t>(read("best_step"));
    state.evals_without_improvement = static_cast<int64_t>(read("evals_without_improvement"));
    at::Tensor layout;
    state.world_size = archive.try_read("world_size", layout) ? static_cast<int64_t>(layout.item<double>()) : 1;
    state.batch_size = archive.try_read("batch_size", layout) ? static_cast<int64_t>(layout.item<double>()) : 0;
    state.accumulate_steps =
        archive.try_read("accumulate_steps", layout) ? static_cast<int64_t>(layout.item<double>()) : 1;
    if (archive.try_read("loss_scale", layout)) state.loss_scale = layout.item<double>();
    if (archive.try_read("loss_scale_good_steps", layout))
      state.loss_scale_good_steps = static_cast<int64_t>(layout.item<double>());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, std::string("cannot restore checkpoint (another model or a damaged file?): ") + e.what());
  }
}

void load_checkpoint_weights(const fs::path& path, model::UNet& net) {
  torch::serialize::InputArchive archive, model_archive;
  try {
    archive.load_from(path.string());
    archive.read("model", model_archive);
    net->load(model_archive);
  } catch (const std::exception& e) {
    throw InputError(path, std::string("cannot read model weights from checkpoint: ") + e.what());
  }
}

std::map<std::string, torch::Tensor> read_checkpoint_tensors(const fs::path& path) {
  if (!fs::exists(path)) throw InputError(path, "checkpoint not found");
  std::map<std::string, torch::Tensor> tensors;
  try {
    torch::serialize::InputArchive archive, model_archive;
    archive.load_from(path.string());
    archive.read("model", model_archive);
    collect_tensors(model_archive, "", tensors);
  } catch (const c10::Error& e) {  // without LibTorch's C++ backtrace, which says nothing about the file
    throw InputError(path, std::string("cannot read model weights from checkpoint: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw InputError(path, std::string("cannot read model weights from checkpoint: ") + e.what());
  }
  if (tensors.empty()) throw InputError(path, "the checkpoint holds no model weights");
  return tensors;
}

}  // namespace diffseg::train

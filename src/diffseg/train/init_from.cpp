#include "diffseg/train/init_from.h"

#include <optional>
#include <tuple>
#include <vector>

#include "diffseg/core/config.h"
#include "diffseg/core/error.h"
#include "diffseg/model/model_config.h"
#include "diffseg/model/supervised_init.h"
#include "diffseg/model/weights.h"
#include "diffseg/train/checkpoint.h"

namespace diffseg::train {
namespace fs = std::filesystem;

namespace {

std::string text(const std::vector<int64_t>& v) { return c10::str(c10::IntArrayRef(v)); }

// The recorded config of the run a weights file belongs to: RUN/model_*.pt or RUN/checkpoints/*.ckpt.
std::optional<fs::path> run_config_of(const fs::path& file) {
  const fs::path folder = fs::absolute(file).parent_path();
  for (const fs::path& run : {folder, folder.filename() == "checkpoints" ? folder.parent_path() : fs::path()})
    if (!run.empty() && fs::is_regular_file(run / "config.yaml")) return run / "config.yaml";
  return std::nullopt;
}

// The source run must be a supervised one with this network: the settings that decide the weights' meaning, some
// of which (heads × head width) do not show in their shapes.
void check_source_run(const fs::path& config_file, const model::UNetOptions& here) {
  const Config config = Config::load(config_file);
  const std::string strategy = config.get<std::string>("train.strategy", "");
  if (strategy != "supervised")
    throw UsageError(config_file.string() + ": the run was trained with strategy '" + strategy + "'; --init-from " +
                     "needs a supervised run (train --strategy supervised)");
  model::UNetOptions there;
  try {
    there = model::unet_options_from_config(config, 0, false);
  } catch (const UsageError& e) {
    throw UsageError(config_file.string() + ": " + e.what());
  }
  const std::vector<std::tuple<std::string, std::string, std::string>> settings{
      {"data.spatial_dims", std::to_string(there.spatial_dims), std::to_string(here.spatial_dims)},
      {"data.image_channels", std::to_string(there.in_channels), std::to_string(here.in_channels)},
      {"data.num_classes", std::to_string(there.out_channels), std::to_string(here.out_channels)},
      {"model.channels", text(there.channels), text(here.channels)},
      {"model.num_res_blocks", std::to_string(there.num_res_blocks), std::to_string(here.num_res_blocks)},
      {"model.kernel_size", std::to_string(there.kernel_size), std::to_string(here.kernel_size)},
      {"model.patch_size", text(there.patch_size), text(here.patch_size)},
      {"model.scale_factor", text(there.scale_factor), text(here.scale_factor)},
      {"model.num_heads", std::to_string(there.num_heads), std::to_string(here.num_heads)},
      {"model.head_dim", std::to_string(there.attention_head_dim()), std::to_string(here.attention_head_dim())},
      {"model.widening_factor", std::to_string(there.widening_factor), std::to_string(here.widening_factor)},
      {"model.num_transformer_layers", std::to_string(there.num_transformer_layers),
       std::to_string(here.num_transformer_layers)}};
  for (const auto& [key, a, b] : settings)
    if (a != b)
      throw UsageError(config_file.string() + ": the supervised run has " + key + " " + a + ", this run " + b +
                       "; --init-from needs the same network (set " + key + " as that run did)");
}

}  // namespace

fs::path initialise_from_supervised_run(model::UNet& net, const fs::path& source, diffusion::ModelOutput model_output) {
  if (model_output != diffusion::ModelOutput::x_start)
    throw UsageError("--init-from " + source.string() + ": needs diffusion.model_output x_start (class logits, as the "
                     "supervised network's); a noise-predicting network's output cannot reproduce its prediction");
  if (!fs::exists(source))
    throw InputError(source, "not found (--init-from / train.init_from: a supervised run folder, or its weights "
                             "file or checkpoint)");
  fs::path weights = source;
  std::optional<fs::path> config_file;
  if (fs::is_directory(source)) {
    config_file = source / "config.yaml";
    if (!fs::is_regular_file(*config_file))
      throw InputError(*config_file, "not found: " + source.string() + " is not a run folder");
    weights = source / "model_best.pt";
    if (!fs::exists(weights)) weights = source / "model_last.pt";  // a run without validation cases
    if (!fs::exists(weights))
      throw InputError(source / "model_best.pt", "weights not found (has the supervised run saved a checkpoint yet?)");
  } else {
    config_file = run_config_of(source);
  }
  if (config_file) check_source_run(*config_file, net->options());
  const std::map<std::string, torch::Tensor> tensors =
      weights.extension() == ".ckpt" ? read_checkpoint_tensors(weights) : model::load_tensors(weights);
  model::initialise_from_supervised(net, tensors, weights);
  return fs::absolute(weights).lexically_normal();
}

}  // namespace diffseg::train

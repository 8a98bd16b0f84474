#include "diffseg/eval/infer_files.h"

#include <algorithm>

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/core/progress.h"
#include "diffseg/data/patches.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/dist/launch_env.h"
#include "diffseg/io/dataset.h"
#include "diffseg/io/image_file.h"

namespace diffseg::eval {
namespace fs = std::filesystem;

std::vector<std::vector<fs::path>> infer_inputs(const InferRequest& o) {
  const fs::path in = o.input;
  std::vector<std::vector<fs::path>> out;
  const bool dataset_file = fs::is_regular_file(in) && in.filename() == "dataset.json";
  if (dataset_file || (fs::is_directory(in) && fs::exists(in / "dataset.json"))) {
    const io::Dataset dataset = io::read_dataset(in);
    for (const auto& e : dataset.split(o.split)) out.push_back(e.images);
  } else if (fs::is_directory(in)) {
    for (const auto& e : fs::directory_iterator(in))
      if (e.is_regular_file() && io::is_image_file_name(e.path())) out.push_back({e.path()});
    std::sort(out.begin(), out.end());
  } else if (fs::exists(in)) {
    out.push_back({in});
  } else {
    throw InputError(in, "does not exist");
  }
  return out;
}

namespace {

// Output file name for an input: the first channel file's name (its extension gives the format), with a suffix.
fs::path output_name(const fs::path& folder, const fs::path& first, const std::string& suffix) {
  const std::string stem = io::stem_of(first);
  const std::string extension = first.filename().string().substr(stem.size());
  return folder / (stem + suffix + extension);
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

}  // namespace

InferSummary infer_files(const InferRequest& o, c10::Device device, const dist::LaunchEnv& env) {
  TrainedRun run = load_run(o.run, o.checkpoint, device);
  const auto all = infer_inputs(o);
  if (all.empty()) throw UsageError("no input images found in " + o.input.string());
  ensure_directory(o.output);
  for (const auto& files : all)
    for (const fs::path& f : files)
      if (same_file(output_name(o.output, files.front(), ""), f))
        throw UsageError("--output " + o.output.string() + " would overwrite the input " + f.string() +
                         "; choose another output folder");
  // Indices into `all`: the seeds stay tied to the case, not to the rank.
  const std::vector<size_t> mine = dist::shard_of(all.size(), env.rank, env.world_size);
  if (env.distributed())
    spdlog::info("rank {} of {}: {} of {} input(s)", env.rank, env.world_size, mine.size(), all.size());
  InferSummary summary;
  Progress progress("infer", static_cast<int64_t>(mine.size()), "images");
  bool warned_padding = false;  // once per command, not per image
  for (const size_t i : mine) {
    const fs::path& first = all[i].front();
    try {
      std::vector<io::Image> channels;
      for (const fs::path& p : all[i]) channels.push_back(io::read_image(p).cast(io::DType::float32));
      const io::Image scan = channels.size() == 1 ? channels.front() : io::Image::stack_channels(channels);
      const ModelInput input = to_model_grid(scan, run, o.input_kind, first.string());
      if (input.transformed) spdlog::info("{}: {}", first.filename().string(), input.description);
      else spdlog::debug("{}: {}", first.string(), input.description);
      const at::Tensor image = data::to_tensor(input.image);
      const std::vector<int64_t> size = image.sizes().slice(1).vec();
      if (const double f = data::padding_factor(size, run.options.patch);
          f >= data::kPaddingWarningFactor && !warned_padding) {
        spdlog::warn("{} ({}) is smaller than the run's data.patch ({}): each window is zero-padded to the patch, "
                     "{:.0f}x its voxels and time; a run trained with a patch near the image size segments it that "
                     "much faster", first.string(), fmt::join(size, "x"), fmt::join(run.options.patch, "x"), f);
        warned_padding = true;
      }
      const CasePrediction prediction = predict_case(run, image.to(device), i, o.inference);
      // Probabilities go back to the scan's grid first; labels and entropy are taken there.
      const int nd = scan.spatial_dims();
      const at::Tensor p = to_scan_grid(prediction.mean_probabilities, input.image, scan);
      write_label_map(output_name(o.output, first, ""), p, run, nd, scan.geometry());
      if (o.save_steps)
        for (int64_t t = 0; t < prediction.first_seed.size(0); ++t)
          write_label_map(output_name(o.output, first, "_step" + std::to_string(t + 1)),
                          to_scan_grid(torch::softmax(prediction.first_seed[t], 0), input.image, scan), run, nd,
                          scan.geometry());
      if (o.uncertainty)
        write_uncertainty_map(o.output / (io::stem_of(first) + "_uncertainty.nii.gz"), p, nd, scan.geometry());
      ++summary.written;
    } catch (const InputError& e) {
      spdlog::error("{}", e.what());
      ++summary.failed;
    }
    progress.advance();
  }
  progress.finish();
  spdlog::info("wrote {} label map(s) to {}", summary.written, o.output.string());
  return summary;
}

}  // namespace diffseg::eval

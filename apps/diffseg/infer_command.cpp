// diffseg infer --run DIR --input FILE|FOLDER|dataset.json — label maps for new images, in the input's format and
// geometry; optionally every sampling step's segmentation and a voxel-wise uncertainty map across seeds. Started
// by torchrun, the N processes split the inputs (case i goes to rank i mod N) and each writes its own outputs, with
// no communication: a cohort runs on every GPU of a node, and a lost process loses only its own cases.
#include <ATen/CPUGeneratorImpl.h>
#include <memory>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "commands.h"
#include "diffseg/core/error.h"
#include "diffseg/core/progress.h"
#include "diffseg/core/runtime.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/dist/process_group.h"
#include "diffseg/eval/trained_run.h"
#include "diffseg/io/dataset.h"
#include "diffseg/io/image_file.h"
#include "diffseg/metrics/mask_postprocess.h"
#include "diffseg/train/predictor.h"

namespace diffseg::cli {
namespace fs = std::filesystem;
namespace {

struct InferCmdOptions {
  std::string run, input, output, split = "test", sampler = "ddpm", checkpoint = "best", device = "cpu";
  int64_t steps = 5, seeds = 1;
  bool save_steps = false, uncertainty = false;
};

// Each input case: one or more channel files; outputs are named after the first.
std::vector<std::vector<fs::path>> inputs_of(const InferCmdOptions& o) {
  const fs::path in = o.input;
  std::vector<std::vector<fs::path>> out;
  const bool dataset_file = fs::is_regular_file(in) && in.filename() == "dataset.json";
  if (dataset_file || (fs::is_directory(in) && fs::exists(in / "dataset.json"))) {
    const io::Dataset dataset = io::read_dataset(in);  // kept alive while its entries are read
    for (const auto& e : dataset.split(o.split)) out.push_back(e.images);
  } else if (fs::is_directory(in)) {
    for (const auto& e : fs::directory_iterator(in))
      if (e.is_regular_file() && io::is_image_file_name(e.path())) out.push_back({e.path()});
    std::sort(out.begin(), out.end());
  } else {
    out.push_back({in});
  }
  return out;
}

int run_infer(const InferCmdOptions& o, const GlobalOptions& global) {
  const dist::LaunchEnv env = dist::launch_env_from_process();
  set_threads(dist::threads_per_process(global.threads, env));
  const c10::Device device = dist::device_for_rank(parse_device(o.device), env);
  eval::TrainedRun run = eval::load_run(o.run, o.checkpoint, device);
  train::PredictOptions po;
  po.sampler.kind = diffusion::parse_sampler(o.sampler);
  po.sampler.steps = o.steps;
  po.sampler.time_input = run.options.sampler.time_input;
  po.patch = run.options.patch;
  po.overlap = run.options.overlap;
  // The run's post-processing (muscle ultrasound), so written label maps are the ones evaluation scores.
  const metrics::PostProcess postprocess =
      metrics::parse_postprocess(run.config.get<std::string>("eval.postprocess", "none"));
  const auto all_cases = inputs_of(o);
  if (all_cases.empty()) throw UsageError("no input images found in " + o.input);
  // Indices into all_cases: the seeds stay tied to the case, not to the rank.
  const std::vector<size_t> mine = dist::shard_of(all_cases.size(), env.rank, env.world_size);
  if (env.distributed())
    spdlog::info("rank {} of {}: {} of {} input(s)", env.rank, env.world_size, mine.size(), all_cases.size());
  const int64_t seeds = run.strategy->is_diffusion() ? std::max<int64_t>(1, o.seeds) : 1;
  int failed = 0;
  Progress progress("infer", static_cast<int64_t>(mine.size()), "images");
  for (const size_t i : mine) {
    const fs::path& first = all_cases[i].front();
    try {
      std::vector<io::Image> channels;
      for (const fs::path& p : all_cases[i]) channels.push_back(io::read_image(p).cast(io::DType::float32));
      const io::Image image = channels.size() == 1 ? channels.front() : io::Image::stack_channels(channels);
      const at::Tensor x = data::to_tensor(image).to(device);
      at::Tensor mean_prob;
      at::Tensor logp;
      for (int64_t s = 0; s < seeds; ++s) {
        at::Generator g = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(s) * 1000003ull + i);
        logp = train::predict_log_probabilities(run.net, *run.strategy, *run.diffusion, x, po, g);
        const at::Tensor p = torch::softmax(logp[logp.size(0) - 1], 0);
        mean_prob = s == 0 ? p / static_cast<double>(seeds) : mean_prob + p / static_cast<double>(seeds);
      }
      const std::string stem = io::stem_of(first);
      auto save = [&](const at::Tensor& labels, const std::string& name) {
        at::Tensor l = labels.to(torch::kCPU, torch::kInt).contiguous();
        std::vector<int32_t> values(l.data_ptr<int32_t>(), l.data_ptr<int32_t>() + l.numel());
        metrics::postprocess_labels(values, image.size().x, image.size().y, image.spatial_dims(),
                                    static_cast<int>(run.num_classes), postprocess);
        l = torch::from_blob(values.data(), l.sizes(), torch::kInt).to(torch::kByte);
        io::Image out = data::to_image(l, image.spatial_dims(), image.geometry());
        io::write_image(fs::path(o.output) / name, out);
      };
      const std::string suffix = first.filename().string().substr(stem.size());
      save(mean_prob.argmax(0), stem + suffix);
      if (o.save_steps)
        for (int64_t t = 0; t < logp.size(0); ++t) save(logp[t].argmax(0), stem + "_step" + std::to_string(t + 1) + suffix);
      if (o.uncertainty) {
        // Entropy (nats) of the mean class probabilities over seeds: 0 where every seed agrees with certainty.
        const at::Tensor entropy = -(mean_prob * mean_prob.clamp_min(1e-12).log()).sum(0);
        io::Image u = data::to_image(entropy.to(torch::kCPU, torch::kFloat), image.spatial_dims(), image.geometry());
        io::write_image(fs::path(o.output) / (stem + "_uncertainty.nii.gz"), u);
      }
    } catch (const InputError& e) {
      spdlog::error("{}", e.what());
      ++failed;
    }
    progress.advance();
  }
  progress.finish();
  spdlog::info("wrote {} label map(s) to {}", mine.size() - static_cast<size_t>(failed), o.output);
  return failed ? static_cast<int>(ExitCode::bad_input) : 0;
}

}  // namespace

void add_infer_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<InferCmdOptions>();
  CLI::App* cmd = app.add_subcommand("infer", "Segment new images with a trained run");
  cmd->add_option("--run", o->run, "run folder written by diffseg train")->required();
  cmd->add_option("--input", o->input, "an image, a folder of images, or a dataset folder/dataset.json")->required();
  cmd->add_option("--output", o->output, "output folder")->required();
  cmd->add_option("--split", o->split, "split to segment when --input is a dataset")->capture_default_str();
  cmd->add_option("--sampler", o->sampler, "ddpm or ddim")->capture_default_str();
  cmd->add_option("--steps", o->steps, "sampling steps")->capture_default_str();
  cmd->add_option("--seeds", o->seeds, "inference seeds; the label map is the argmax of their mean")
      ->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "best or last")->capture_default_str();
  cmd->add_flag("--save-steps", o->save_steps, "also write every sampling step's label map");
  cmd->add_flag("--uncertainty", o->uncertainty, "also write the entropy of the mean probabilities (NIfTI)");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->callback([&run, o, &global] { run = [o, &global] { return run_infer(*o, global); }; });
}

}  // namespace diffseg::cli

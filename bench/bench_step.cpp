// Times one model's training step or per-case inference exactly as diffseg runs them (optimizer_step and
// predict_log_probabilities), on random data of a given shape: warm-up, then the median of N repeats. Also writes
// the initial weights and the network's options for the PyTorch mirror (bench/reference/step.py), so both sides run
// the same network from the same weights. Used by bench/bench_vs_pytorch.py.
//
//   bench_step --config C --strategy S --mode train|infer --shape H,W[,D...] --batch B --classes K
//              [--repeats 5] [--threads T] [--weights W --options O] [--set key=value]... [--mallopt]
//              [--device cpu|cuda] [--patch P,Q[,R]]
// --patch (inference only): sliding windows of that size over the --shape image, with the config's data.overlap,
// as `diffseg infer` runs a whole volume; without it the window is the whole image.
// Prints one JSON object: {"median_s", "times", "parameters", "peak_rss_mb", "device"} and, on a GPU with
// LibTorch 2.10+, "device_peak_allocated_mib". On CUDA each timed run
// ends with a device synchronisation, so the time is the GPU's, not the kernel launches'.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "bench_args.h"
#include "diffseg/core/config.h"
#include "diffseg/core/runtime.h"
#include "diffseg/core/torch_compat.h"
#include "diffseg/model/model_config.h"
#include "diffseg/model/unet.h"
#include "diffseg/model/weights.h"
#include "diffseg/train/optimizer_step.h"
#include "diffseg/train/predictor.h"
#include "diffseg/train/run_config_keys.h"
#include "diffseg/train/trainer_options.h"

using namespace diffseg;

namespace {
double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

int run(int argc, char** argv) {
  std::string config_path, strategy_name = "diffusion", mode = "train", weights, options_out, device_name = "cpu";
  std::vector<int64_t> shape, patch;
  int64_t batch = 1, classes = 2, repeats = 5, threads = 0;
  bool use_mallopt = false;
  std::vector<std::string> sets;
  bench::parse_options(argc, argv, [&](const std::string& a, auto next) {
    if (a == "--config") config_path = next();
    else if (a == "--strategy") strategy_name = next();
    else if (a == "--mode") mode = next();
    else if (a == "--shape") shape = bench::parse_ints(next());
    else if (a == "--batch") batch = std::stoll(next());
    else if (a == "--classes") classes = std::stoll(next());
    else if (a == "--repeats") repeats = std::stoll(next());
    else if (a == "--threads") threads = std::stoll(next());
    else if (a == "--weights") weights = next();
    else if (a == "--options") options_out = next();
    else if (a == "--set") sets.push_back(next());
    else if (a == "--mallopt") use_mallopt = true;
    else if (a == "--device") device_name = next();
    else if (a == "--patch") patch = bench::parse_ints(next());
    else return false;
    return true;
  });
  if (use_mallopt && !keep_freed_memory()) std::fprintf(stderr, "mallopt refused\n");
  if (threads > 0) torch::set_num_threads(static_cast<int>(threads));
  Config config = Config::load(config_path);
  train::apply_run_settings(config, parse_settings(sets));  // the config's preset, then --set, as `diffseg train` reads it
  const train::TrainerOptions o = train::trainer_options_from_config(config);
  const auto inputs = train::network_inputs(strategy_name, classes);
  model::UNetOptions uo = model::unet_options_from_config(config, inputs.mask_channels, inputs.time_conditioning);
  uo.out_channels = classes;
  model::UNet net(uo);
  model::initialise(net, 0);
  if (!weights.empty()) model::save_state_dict(*net, weights);
  if (!options_out.empty()) std::ofstream(options_out) << uo.mirror_json();

  const c10::Device device(device_name);
  const bool cuda = device.is_cuda();
  if (cuda && !torch::cuda::is_available()) throw std::invalid_argument("--device cuda: no CUDA device");
  // Waits for the GPU's queue, so a timed run includes its kernels.
  auto sync = [&] {
    if (cuda) torch::cuda::synchronize();
  };
  net->to(device);
  torch::manual_seed(0);
  std::vector<int64_t> image_shape{batch, uo.in_channels}, label_shape{batch};
  for (int64_t s : shape) image_shape.push_back(s), label_shape.push_back(s);
  const at::Tensor image = torch::rand(image_shape).to(device),
                   labels = torch::randint(0, classes, label_shape, torch::kLong).to(device);

  torch_compat::reset_peak_device_memory(device);
  auto strategy = train::make_strategy(strategy_name, o.strategy_options);
  const auto diff = diffusion::GaussianDiffusion::from_schedule(o.schedule, o.model_output, o.variance, device);
  std::vector<double> times;
  if (mode == "train") {
    auto time_sampler = diffusion::make_time_sampler(o.time_sampler, diff.num_timesteps());
    diffusion::SampleStreams streams = diffusion::SampleStreams::from_seed(1, batch);
    torch::optim::AdamW optimizer(net->parameters(),
                                  torch::optim::AdamWOptions(1e-4).betas({0.9, 0.999}).eps(1e-8).weight_decay(1e-8));
    train::StepContext ctx{[&](const at::Tensor& x, const at::Tensor& m, const at::Tensor& t) { return net->forward(x, m, t); },
                           diff, *time_sampler, streams, o.loss, classes};
    const train::Precision precision = train::parse_precision(o.precision);
    net->train();
    for (int64_t r = 0; r <= repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      train::optimizer_step(*strategy, ctx, optimizer, net->parameters(), image, labels, precision, device, o.grad_clip);
      sync();
      if (r > 0) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  } else {
    net->eval();
    train::PredictOptions po;
    po.sampler = o.sampler;
    po.sampler.kind = diffusion::SamplerKind::ddim;
    po.sampler.steps = 5;
    if (patch.empty()) {
      po.patch = shape;
      po.overlap.assign(shape.size(), 0);
    } else {
      if (patch.size() != shape.size()) throw std::invalid_argument("--patch needs as many sizes as --shape");
      po.patch = patch;
      po.overlap = o.overlap;
    }
    for (int64_t r = 0; r <= repeats; ++r) {
      at::Generator g = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(r));
      const auto t0 = std::chrono::steady_clock::now();
      for (int64_t b = 0; b < batch; ++b) train::predict_log_probabilities(net, *strategy, diff, image[b], po, g);
      sync();
      if (r > 0) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  int64_t parameters = 0;
  for (const auto& p : net->parameters()) parameters += p.numel();
  nlohmann::json out = {{"median_s", sorted[sorted.size() / 2]}, {"times", times}, {"parameters", parameters},
                        {"peak_rss_mb", peak_rss_mb()}, {"device", device.str()}};
  // The same figure as the mirror's torch.cuda.max_memory_allocated (weights, optimiser state and activations).
  const int64_t peak = torch_compat::peak_device_memory_bytes(device);
  if (peak >= 0) out["device_peak_allocated_mib"] = static_cast<double>(peak) / (1 << 20);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  return bench::run_main(
      "bench_step --config C --strategy S --mode train|infer --shape H,W[,D] --batch B --classes K [--repeats N] "
      "[--threads T] [--weights W --options O] [--set key=value]... [--mallopt] [--device cpu|cuda] [--patch P,Q[,R]]",
      [&] { return run(argc, argv); });
}

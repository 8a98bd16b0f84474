// All-reduce of one training step's gradients, as the trainer does it (GradientReducer's 25 MB buckets over the
// job's c10d group), for the network a config builds. Start it as N processes with the launcher's variables
// (torchrun, or bench_distributed.py); rank 0 prints JSON: bytes per step, buckets, median seconds.
//
//   torchrun --nproc_per_node=2 --no_python --redirects 1 --tee 1 build/bench/bench_allreduce
//       --config configs/muscle_us.yaml --classes 2 [--repeats 10] [--bucket-mb 25]   (one line)
#include <algorithm>
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "bench_args.h"
#include "diffseg/core/config.h"
#include "diffseg/dist/gradient_reducer.h"
#include "diffseg/model/model_config.h"
#include "diffseg/model/unet.h"
#include "diffseg/train/run_config_keys.h"
#include "diffseg/train/strategy_registry.h"

using namespace diffseg;

int run(int argc, char** argv) {
  std::string config_path, strategy = "diffusion";
  int64_t classes = 2, repeats = 10, bucket_mb = 25;
  bench::parse_options(argc, argv, [&](const std::string& a, auto next) {
    if (a == "--config") config_path = next();
    else if (a == "--strategy") strategy = next();
    else if (a == "--classes") classes = std::stoll(next());
    else if (a == "--repeats") repeats = std::stoll(next());
    else if (a == "--bucket-mb") bucket_mb = std::stoll(next());
    else return false;
    return true;
  });
  if (config_path.empty()) throw std::invalid_argument("--config is required");
  Config config = Config::load(config_path);
  train::apply_run_settings(config, {});  // the config's preset, as `diffseg train` reads it
  const auto inputs = train::network_inputs(strategy, classes);
  model::UNetOptions uo = model::unet_options_from_config(config, inputs.mask_channels, inputs.time_conditioning);
  uo.out_channels = classes;
  model::UNet net(uo);
  for (auto& p : net->parameters()) p.mutable_grad() = torch::randn_like(p);

  const auto group = dist::Group::join(dist::launch_env_from_process(), {});
  dist::ReducerOptions ro;
  ro.bucket_bytes = bucket_mb << 20;
  ro.overlap = false;  // all buckets after "backward": the time the gradients' all-reduce takes on its own
  dist::GradientReducer reducer(group, net->parameters(), ro);
  std::vector<double> times;
  for (int64_t r = 0; r <= repeats; ++r) {
    group->barrier();
    const auto t0 = std::chrono::steady_clock::now();
    reducer.finish();
    if (r > 0) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  if (group->is_main()) {
    int64_t params = 0;
    for (const auto& p : net->parameters()) params += p.numel();
    const nlohmann::json out = {{"world_size", group->size()},      {"backend", group->backend_name()},
                                {"parameters", params},             {"bytes_per_step", reducer.bytes_per_step()},
                                {"buckets", reducer.bucket_count()}, {"median_s", times[times.size() / 2]},
                                {"times", times}};
    std::printf("%s\n", out.dump().c_str());
  }
  return 0;
}

int main(int argc, char** argv) {
  return bench::run_main("bench_allreduce --config C.yaml [--classes K] [--strategy S] [--repeats N] [--bucket-mb M]",
                         [&] { return run(argc, argv); });
}

// Loader throughput: augmented samples per second from the threaded BatchLoader on synthetic cases of a given
// size, after a warm-up batch. Prints "samples_per_second batches". Used by bench/loader_vs_training.py, which sets
// it against the training step time of the paper's model.
//   bench_loader DIMS X,Y[,Z] PATCH(tensor order, comma-separated) BATCH WORKERS SECONDS
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "bench_args.h"
#include "diffseg/data/loader.h"
#include "diffseg/data/synthetic.h"
#include "diffseg/data/tensor_image.h"

namespace {
int run(int argc, char** argv) {
  using namespace diffseg;
  if (argc < 7) throw std::invalid_argument("expected 6 arguments");
  data::SyntheticOptions so;
  so.dims = std::stoi(argv[1]);
  const auto size = bench::parse_ints(argv[2]);
  for (size_t i = 0; i < size.size(); ++i) so.size[i] = size[i];
  so.spacing = {1.0, 1.0, 1.0};
  std::vector<data::CachedCase> cases;
  for (int i = 0; i < 4; ++i) {
    data::SyntheticCase c = data::make_synthetic_case(so, i);
    data::CachedCase cc;
    cc.id = "case" + std::to_string(i);
    cc.image = data::to_tensor(c.image);
    cc.label = data::to_tensor(c.label).squeeze(0).to(torch::kByte);
    cc.spatial_dims = so.dims;
    cc.spacing = so.dims == 2 ? std::vector<double>{1, 1} : std::vector<double>{1, 1, 1};
    cases.push_back(std::move(cc));
  }
  data::LoaderOptions lo;
  lo.patch = bench::parse_ints(argv[3]);
  lo.batch_size = std::stoll(argv[4]);
  lo.workers = std::stoi(argv[5]);
  lo.augment = true;
  lo.augmentation.probability = 0.5;  // each transform element with p = 0.5 (method.md: Augmentation)
  const double seconds = std::stod(argv[6]);
  torch::set_num_threads(1);  // the loader's workers are the parallelism measured here
  data::BatchLoader loader(std::make_shared<const data::CaseCache>(std::move(cases)), lo);
  loader.next();  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  int64_t batches = 0;
  double elapsed = 0;
  do {
    loader.next();
    ++batches;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (elapsed < seconds);
  std::printf("%.4f %lld\n", static_cast<double>(batches * lo.batch_size) / elapsed, static_cast<long long>(batches));
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  return diffseg::bench::run_main("bench_loader DIMS X,Y[,Z] PATCH BATCH WORKERS SECONDS", [&] { return run(argc, argv); });
}

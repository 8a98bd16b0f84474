// Times compare_label_maps (HD95 and the other metrics) on one pair of label files: median of 5 runs after a
// warm-up. Prints "milliseconds hd95". Used by bench/hd95_vs_scipy.py. Keeps freed memory like the diffseg CLI
// (keep_freed_memory) unless DIFFSEG_MALLOC_DEFAULTS=1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_args.h"
#include "diffseg/core/runtime.h"
#include "diffseg/io/image_file.h"
#include "diffseg/metrics/segmentation_metrics.h"

namespace {
int run(int argc, char** argv) {
  using namespace diffseg;
  if (std::getenv("DIFFSEG_MALLOC_DEFAULTS") == nullptr) keep_freed_memory();
  if (argc < 3) throw std::invalid_argument("expected 2 or 3 arguments");
  const io::Image p = io::read_image(argv[1]).cast(io::DType::int32), r = io::read_image(argv[2]).cast(io::DType::int32);
  const std::vector<int32_t> pv(p.data<int32_t>(), p.data<int32_t>() + p.size().elements());
  const std::vector<int32_t> rv(r.data<int32_t>(), r.data<int32_t>() + r.size().elements());
  metrics::Grid g{3, {r.size().x, r.size().y, r.size().z}, r.geometry().spacing};
  metrics::MetricOptions o;
  o.threads = argc > 3 ? std::stoi(argv[3]) : 0;
  double hd95 = 0;
  std::vector<double> ms;
  for (int i = 0; i < 6; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    hd95 = metrics::compare_label_maps(pv, rv, g, {1}, o)[0].hd95;
    const auto t1 = std::chrono::steady_clock::now();
    if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%.3f %.10g\n", ms[ms.size() / 2], hd95);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  return diffseg::bench::run_main("bench_hd95 PRED REF [THREADS]", [&] { return run(argc, argv); });
}

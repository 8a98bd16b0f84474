// The fused norm → shift → residual → GELU → dropout operation against the same chain of ATen ops, forward and
// forward + backward, on one activation of a given shape (issue #11: the memory-bound part of a ResBlock).
//
//   bench_norm_act [--shape 8,32,128,128] [--threads 2] [--repeats 9] [--no-dropout] [--no-residual]
// Prints one line per variant: median milliseconds and effective GB/s (bytes the op must read + write at least).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "bench_args.h"
#include "diffseg/core/runtime.h"
#include "diffseg/model/fused_norm_act.h"

using namespace diffseg;

namespace {
double median_ms(int64_t repeats, const std::function<void()>& f) {
  f();
  std::vector<double> t;
  for (int64_t r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> shape{8, 32, 128, 128};
  int64_t threads = 2, repeats = 9;
  bool dropout = true, residual = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--shape" && i + 1 < argc) shape = bench::parse_ints(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::stoll(argv[++i]);
    else if (a == "--repeats" && i + 1 < argc) repeats = std::stoll(argv[++i]);
    else if (a == "--no-dropout") dropout = false;
    else if (a == "--no-residual") residual = false;
    else {
      std::fprintf(stderr, "usage: bench_norm_act [--shape B,C,...] [--threads T] [--repeats N] [--no-dropout] "
                           "[--no-residual]\n");
      return 2;
    }
  }
  keep_freed_memory();
  torch::set_num_threads(static_cast<int>(threads));
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn(shape);
  const torch::Tensor w = torch::rand({shape[1]}) + 0.5, b = torch::randn({shape[1]});
  model::NormActOptions o;
  if (dropout) o.dropout = 0.1, o.seed = 7;
  if (residual) o.residual = torch::randn(shape), o.shift = torch::randn({shape[0], shape[1]});
  const torch::Tensor dy = torch::randn(shape);
  const double mb = static_cast<double>(x.numel()) * 4 / 1e6;
  std::printf("shape");
  for (int64_t s : shape) std::printf(" %lld", static_cast<long long>(s));
  std::printf(", %.0f MB per tensor, %lld threads, dropout %s, residual+shift %s, fused kernel %s\n", mb,
              static_cast<long long>(threads), dropout ? "yes" : "no", residual ? "yes" : "no",
              model::norm_act_uses_fused_kernel(x, o) ? "available" : "NOT available");
  for (const bool fused : {false, true}) {
    auto op = [&](const torch::Tensor& in, const torch::Tensor& weight) {
      return fused ? model::norm_act(in, weight, b, o) : model::norm_act_reference(in, weight, b, o);
    };
    const double fwd = median_ms(repeats, [&] {
      torch::InferenceMode guard;
      op(x, w);
    });
    const double both = median_ms(repeats, [&] {
      const torch::Tensor xi = x.detach().requires_grad_(), wi = w.detach().requires_grad_();
      op(xi, wi).backward(dy);
    });
    // Least traffic: forward reads x (+ residual), writes y; backward reads x, dy (+ residual), writes dx (+ dres).
    const double fwd_mb = mb * (residual ? 3 : 2), bwd_mb = mb * (residual ? 5 : 3);
    std::printf("%-10s forward %8.2f ms (%5.1f GB/s)   forward+backward %8.2f ms (%5.1f GB/s)\n",
                fused ? "fused" : "ATen ops", fwd, fwd_mb / fwd, both, (fwd_mb + bwd_mb) / both);
  }
}

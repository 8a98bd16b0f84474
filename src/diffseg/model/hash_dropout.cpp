#include "diffseg/model/hash_dropout.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <atomic>
#include <limits>

#include "diffseg/model/hash_mask.h"

namespace diffseg::model {

namespace {
// out[i] = in[i] * (keep_i ? scale : 0); keep_i compares 24 hash bits with p·2^24.
std::atomic<int64_t> g_first_sample{0};

torch::Tensor apply_mask(const torch::Tensor& in, double p, uint64_t seed, int64_t first_sample) {
  const torch::Tensor x = in.contiguous();
  const int64_t offset = x.dim() > 0 && x.size(0) > 0 ? first_sample * (x.numel() / x.size(0)) : 0;
  torch::Tensor out = torch::empty_like(x);
  const HashMask mask = make_hash_mask(p, seed);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, x.scalar_type(), "hash_dropout", [&] {
    const scalar_t* src = x.data_ptr<scalar_t>();
    scalar_t* dst = out.data_ptr<scalar_t>();
    at::parallel_for(0, x.numel(), 32768, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        dst[i] = static_cast<scalar_t>(static_cast<float>(src[i]) * hash_mask_factor(mask, i + offset));
      }
    });
  });
  return out;
}

class HashDropoutFunction : public torch::autograd::Function<HashDropoutFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p,
                               int64_t seed, int64_t first_sample) {
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    ctx->saved_data["first_sample"] = first_sample;
    return apply_mask(x, p, static_cast<uint64_t>(seed), first_sample);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const double p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const int64_t first_sample = ctx->saved_data["first_sample"].toInt();
    return {apply_mask(grad[0], p, seed, first_sample), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};
}  // namespace

torch::Tensor hash_dropout(const torch::Tensor& x, double p, uint64_t seed, int64_t first_sample) {
  return HashDropoutFunction::apply(x, p, static_cast<int64_t>(seed), first_sample);
}

int64_t dropout_first_sample() { return g_first_sample.load(); }
DropoutSampleScope::DropoutSampleScope(int64_t first_sample) : previous_(g_first_sample.exchange(first_sample)) {}
DropoutSampleScope::~DropoutSampleScope() { g_first_sample.store(previous_); }

uint64_t draw_dropout_seed() {
  return static_cast<uint64_t>(torch::randint(std::numeric_limits<int64_t>::max(), {1}, torch::kLong).item<int64_t>());
}

torch::Tensor HashDropoutImpl::forward(const torch::Tensor& x) {
  if (!is_training() || p_ <= 0) return x;
  if (!x.is_cpu()) return torch::dropout(x, p_, true);
  return hash_dropout(x, p_, draw_dropout_seed(), dropout_first_sample());
}

}  // namespace diffseg::model

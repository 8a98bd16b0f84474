#include "diffseg/model/blocks.h"

#include <cmath>

namespace diffseg::model {

ResBlockImpl::ResBlockImpl(int64_t dims, int64_t channels, int64_t kernel, double p, int64_t time_dim,
                           bool time_before_norm, bool checkpoint)
    : checkpoint_(checkpoint), time_before_norm_(time_before_norm) {
  block_fn_ = [this](const std::vector<torch::Tensor>& in) { return compute(in[0], in.size() > 1 ? in[1] : torch::Tensor()); };
  const std::vector<int64_t> k(static_cast<size_t>(dims), kernel), one(static_cast<size_t>(dims), 1);
  conv1 = register_module("conv1", Conv(dims, channels, channels, k, one, false));
  norm1 = register_module("norm1", make_norm(channels));
  dropout = register_module("dropout", HashDropout(p));
  conv2 = register_module("conv2", Conv(dims, channels, channels, k, one, false));
  norm2 = register_module("norm2", make_norm(channels));
  if (time_dim > 0) time_proj = register_module("time_proj", torch::nn::Linear(time_dim, channels));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& e) {
  if (!checkpoint_ || !is_training() || !torch::GradMode::is_enabled()) return compute(x, e);
  std::vector<torch::Tensor> inputs{x};
  if (e.defined()) inputs.push_back(e);
  return checkpointed(&block_fn_, inputs, parameters());
}

torch::Tensor ResBlockImpl::compute(const torch::Tensor& x, const torch::Tensor& e) {
  NormActOptions first;  // GELU(norm1(conv1 x)) then dropout, one fused pass
  if (is_training() && dropout->p() > 0) {
    first.dropout = dropout->p();
    first.seed = x.is_cpu() ? draw_dropout_seed() : 0;
    first.first_sample = dropout_first_sample();
  }
  const torch::Tensor h = conv2(norm1->forward_with(conv1(x), first));
  NormActOptions second;  // GELU(norm2(h) + shift + x)
  second.residual = x;
  if (time_proj) {
    second.shift = time_proj(gelu_tanh(e));  // (B, C), broadcast over the spatial axes
    if (time_before_norm_) {  // the reference's order: the shift goes in before the norm (which cancels it)
      std::vector<int64_t> shape = second.shift.sizes().vec();
      shape.resize(static_cast<size_t>(x.dim()), 1);
      NormActOptions cancelled;  // GELU(norm2(h + shift) + x): the same fused pass, with the shift moved inside
      cancelled.residual = x;
      return norm2->forward_with(h + second.shift.view(shape), cancelled);
    }
  }
  return norm2->forward_with(h, second);
}

DownsampleImpl::DownsampleImpl(int64_t dims, int64_t in, int64_t out, std::vector<int64_t> factor) {
  conv = register_module("conv", Conv(dims, in, out, factor, factor, false));
  norm = register_module("norm", make_norm(out));
}

torch::Tensor DownsampleImpl::forward(const torch::Tensor& x) { return norm(conv(x)); }

UpsampleImpl::UpsampleImpl(int64_t dims, int64_t in, int64_t out, std::vector<int64_t> factor) {
  conv = register_module("conv", ConvTranspose(dims, in, out, std::move(factor)));
  norm = register_module("norm", make_norm(out));
}

torch::Tensor UpsampleImpl::forward(const torch::Tensor& x, const torch::Tensor& like) {
  torch::Tensor y = norm(conv(x));
  for (int64_t d = 2; d < y.dim(); ++d) y = y.narrow(d, 0, like.size(d));
  return y;
}

torch::Tensor time_embedding(const torch::Tensor& t, int64_t dim) {
  const int64_t half = dim / 2;
  const torch::Tensor i = torch::arange(half, torch::TensorOptions(torch::kFloat).device(t.device()));
  const torch::Tensor freq = torch::exp(-std::log(10000.0) * i / static_cast<double>(half));
  const torch::Tensor a = t.to(torch::kFloat).view({-1, 1}) * 10000.0 * freq.view({1, -1});
  return torch::cat({torch::cos(a), torch::sin(a)}, 1);
}

}  // namespace diffseg::model

#include "diffseg/model/transformer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "diffseg/core/torch_compat.h"

namespace diffseg::model {

AttentionImpl::AttentionImpl(int64_t channels, int64_t heads, int64_t head_dim) : heads_(heads), head_dim_(head_dim) {
  query = register_module("query", torch::nn::Linear(channels, heads * head_dim));
  key = register_module("key", torch::nn::Linear(channels, heads * head_dim));
  value = register_module("value", torch::nn::Linear(channels, heads * head_dim));
  out = register_module("out", torch::nn::Linear(heads * head_dim, channels));
}

// Query rows are processed in blocks whose scores (all heads) take at most this many bytes. Large blocks are fresh
// mmaps in glibc, page-faulted in on every forward (the muscle network's 3840 bottleneck tokens × 8 heads make
// 472 MB of scores per pass, and softmax another); blocks this size come from the heap glibc keeps and stay in
// cache between the two matrix products and the softmax.
constexpr int64_t kScoreBlockBytes = 16 << 20;

torch::Tensor AttentionImpl::forward(const torch::Tensor& h) {
  const int64_t b = h.size(0), n = h.size(1);
  auto split = [&](const torch::Tensor& x) { return x.view({b, n, heads_, head_dim_}).transpose(1, 2).contiguous(); };
  // On GPUs LibTorch 2.x's fused kernels never build the N × N scores; the CPU keeps the blocked products below,
  // which were measured faster there (docs/BENCHMARKS.md).
  if (!h.is_cpu()) {
    const torch::Tensor fused = torch_compat::fused_attention(split(query(h)), split(key(h)), split(value(h)));
    if (fused.defined()) return out(fused.transpose(1, 2).reshape({b, n, heads_ * head_dim_}));
  }
  // Scaling q (N × d) rather than the scores (N × N) saves a pass over the largest tensor.
  const torch::Tensor q = split(query(h) * (1.0 / std::sqrt(static_cast<double>(head_dim_))));
  const torch::Tensor k_t = split(key(h)).transpose(-2, -1), v = split(value(h));
  const int64_t rows = std::max<int64_t>(1, kScoreBlockBytes / (b * heads_ * n * static_cast<int64_t>(q.element_size())));
  std::vector<torch::Tensor> parts;
  for (int64_t r = 0; r < n; r += rows) {
    const torch::Tensor scores = torch::matmul(q.narrow(2, r, std::min(rows, n - r)), k_t);
    parts.push_back(torch::matmul(torch::softmax(scores, -1), v));
  }
  const torch::Tensor o = parts.size() == 1 ? parts.front() : torch::cat(parts, 2);
  return out(o.transpose(1, 2).reshape({b, n, heads_ * head_dim_}));
}

TransformerLayerImpl::TransformerLayerImpl(int64_t channels, int64_t heads, int64_t head_dim, int64_t widening,
                                           double p) {
  norm1 = register_module("norm1", Norm(channels, NormAxes::last));
  attn = register_module("attn", Attention(channels, heads, head_dim));
  norm2 = register_module("norm2", Norm(channels, NormAxes::last));
  fc1 = register_module("fc1", torch::nn::Linear(channels, widening * channels));
  fc2 = register_module("fc2", torch::nn::Linear(widening * channels, channels));
  dropout = register_module("dropout", HashDropout(p));
}

torch::Tensor TransformerLayerImpl::forward(const torch::Tensor& tokens) {
  torch::Tensor h = tokens + dropout(attn(norm1(tokens)));
  return h + dropout(fc2(gelu_tanh(fc1(norm2(h)))));
}

TransformerImpl::TransformerImpl(int64_t channels, int64_t layers, int64_t heads, int64_t head_dim, int64_t widening,
                                 double p) {
  layers_ = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i) layers_->push_back(TransformerLayer(channels, heads, head_dim, widening, p));
  final_norm = register_module("final_norm", Norm(channels, NormAxes::last));
}

torch::Tensor TransformerImpl::forward(const torch::Tensor& x) {
  // (B, C, *spatial) → tokens (B, N, C) → back.
  const auto shape = x.sizes().vec();
  torch::Tensor h = x.flatten(2).transpose(1, 2);
  for (const auto& layer : *layers_) h = layer->as<TransformerLayerImpl>()->forward(h);
  h = final_norm(h);
  return h.transpose(1, 2).reshape(shape);
}

}  // namespace diffseg::model

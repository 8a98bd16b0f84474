#include "diffseg/model/transformer.h"

#include <cmath>

namespace diffseg::model {

AttentionImpl::AttentionImpl(int64_t channels, int64_t heads, int64_t head_dim) : heads_(heads), head_dim_(head_dim) {
  query = register_module("query", torch::nn::Linear(channels, heads * head_dim));
  key = register_module("key", torch::nn::Linear(channels, heads * head_dim));
  value = register_module("value", torch::nn::Linear(channels, heads * head_dim));
  out = register_module("out", torch::nn::Linear(heads * head_dim, channels));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& h) {
  const int64_t b = h.size(0), n = h.size(1);
  auto split = [&](const torch::Tensor& x) { return x.view({b, n, heads_, head_dim_}).transpose(1, 2); };
  const torch::Tensor q = split(query(h)), k = split(key(h)), v = split(value(h));
  const torch::Tensor w = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(head_dim_)), -1);
  return out(torch::matmul(w, v).transpose(1, 2).reshape({b, n, heads_ * head_dim_}));
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

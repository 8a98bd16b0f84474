#pragma once
// Pre-LN transformer over the bottom feature map's positions (no positional embedding), docs/method.md:
// h += Dropout(MHA(LN1(h))); h += Dropout(MLP(LN2(h))); per layer, then a final LayerNorm.
#include <torch/torch.h>

#include "diffseg/model/hash_dropout.h"
#include "diffseg/model/layers.h"

namespace diffseg::model {

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t channels, int64_t heads, int64_t head_dim);
  torch::Tensor forward(const torch::Tensor& tokens);  // (B, N, C) → (B, N, C)

 private:
  int64_t heads_, head_dim_;
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, out{nullptr};
};
TORCH_MODULE(Attention);

class TransformerLayerImpl : public torch::nn::Module {
 public:
  TransformerLayerImpl(int64_t channels, int64_t heads, int64_t head_dim, int64_t widening, double dropout);
  torch::Tensor forward(const torch::Tensor& tokens);

 private:
  Norm norm1{nullptr}, norm2{nullptr};
  Attention attn{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  HashDropout dropout{nullptr};
};
TORCH_MODULE(TransformerLayer);

class TransformerImpl : public torch::nn::Module {
 public:
  TransformerImpl(int64_t channels, int64_t layers, int64_t heads, int64_t head_dim, int64_t widening,
                  double dropout);
  // Feature map (B, C, *spatial) → same shape.
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::ModuleList layers_{nullptr};
  Norm final_norm{nullptr};
};
TORCH_MODULE(Transformer);

}  // namespace diffseg::model

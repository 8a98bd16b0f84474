// Attention processes query rows in blocks (to keep the score matrix small); the result must equal the textbook
// softmax(QKᵀ/√d)V over all rows at once, including at a token count that needs several blocks.
#include "diffseg/model/transformer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

using namespace diffseg::model;

namespace {
// x W^T + b written out, from the module's parameters "<name>.weight" / "<name>.bias".
torch::Tensor linear(const Attention& a, const std::string& name, const torch::Tensor& x) {
  const auto p = a->named_parameters();
  return torch::matmul(x, p[name + ".weight"].t()) + p[name + ".bias"];
}
}  // namespace

TEST(Attention, BlockedRowsEqualTheFullScoreMatrix) {
  torch::manual_seed(11);
  const int64_t heads = 2, head_dim = 4, channels = 8;
  Attention attention(channels, heads, head_dim);
  for (const int64_t n : {7, 2500}) {  // 2500 tokens × 2 heads: 4 blocks of query rows
    const torch::Tensor x = torch::randn({2, n, channels});
    torch::Tensor got;
    {
      torch::NoGradGuard no_grad;
      got = attention(x);
    }
    torch::Tensor want;
    {
      torch::NoGradGuard no_grad;
      const auto q = linear(attention, "query", x).view({2, n, heads, head_dim}).transpose(1, 2);
      const auto k = linear(attention, "key", x).view({2, n, heads, head_dim}).transpose(1, 2);
      const auto v = linear(attention, "value", x).view({2, n, heads, head_dim}).transpose(1, 2);
      const auto w = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(head_dim)), -1);
      const auto o = torch::matmul(w, v).transpose(1, 2).reshape({2, n, heads * head_dim});
      want = linear(attention, "out", o);
    }
    EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-5)) << n << " tokens, max diff " << (got - want).abs().max().item<double>();
  }
}

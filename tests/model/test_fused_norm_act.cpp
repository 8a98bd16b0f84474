// The fused norm → shift → residual → GELU → dropout kernel against the same chain of ATen ops (whose gradients
// come from ATen's own autograd formulas), forward and backward, for every combination the UNet uses.
#include "diffseg/model/fused_norm_act.h"

#include <gtest/gtest.h>

#include <vector>

using namespace diffseg::model;

namespace {

struct Case {
  std::vector<int64_t> shape;
  bool gelu, shift, residual;
  double dropout;
};

std::string describe(const Case& c) {
  std::string s = "shape";
  for (int64_t v : c.shape) s += " " + std::to_string(v);
  return s + (c.gelu ? " gelu" : "") + (c.shift ? " shift" : "") + (c.residual ? " residual" : "") +
         " p=" + std::to_string(c.dropout);
}

// Runs the chain on fresh leaf copies of the inputs; returns output and the gradients of sum(y · probe).
std::vector<torch::Tensor> run(bool fused, const Case& c, const std::vector<torch::Tensor>& in,
                               const torch::Tensor& probe) {
  std::vector<torch::Tensor> leaf;
  for (const torch::Tensor& t : in) leaf.push_back(t.defined() ? t.clone().requires_grad_() : t);
  NormActOptions o;
  o.gelu = c.gelu;
  o.shift = leaf[3];
  o.residual = leaf[4];
  o.dropout = c.dropout;
  o.seed = 4242;
  const torch::Tensor y = fused ? norm_act(leaf[0], leaf[1], leaf[2], o) : norm_act_reference(leaf[0], leaf[1], leaf[2], o);
  (y * probe).sum().backward();
  std::vector<torch::Tensor> out{y.detach()};
  for (const torch::Tensor& t : leaf) out.push_back(t.defined() ? t.grad() : t);
  return out;
}

}  // namespace

TEST(FusedNormAct, MatchesTheUnfusedChainForwardAndBackward) {
  const std::vector<Case> cases = {
      {{2, 3, 9, 7}, true, false, false, 0.0},    {{2, 3, 9, 7}, true, false, false, 0.3},
      {{2, 3, 9, 7}, true, true, true, 0.0},      {{2, 4, 5, 6, 7}, true, true, true, 0.0},
      {{3, 2, 17, 33}, false, false, false, 0.0}, {{1, 5, 4, 4, 4}, true, false, false, 0.2},
      {{2, 3, 9, 7}, false, true, true, 0.1}};
  torch::manual_seed(3);
  for (const Case& c : cases) {
    const torch::Tensor x = torch::randn(c.shape) * 2 + 0.5;
    ASSERT_TRUE(norm_act_uses_fused_kernel(x, NormActOptions{})) << "this CPU lacks AVX2/FMA: fused path not run";
    const int64_t channels = c.shape[1];
    std::vector<torch::Tensor> in{x, torch::rand({channels}) + 0.5, torch::randn({channels}), torch::Tensor(),
                                  torch::Tensor()};
    if (c.shift) in[3] = torch::randn({c.shape[0], channels});
    if (c.residual) in[4] = torch::randn(c.shape);
    const torch::Tensor probe = torch::randn(c.shape);
    const auto want = run(false, c, in, probe), got = run(true, c, in, probe);
    EXPECT_TRUE(torch::allclose(got[0], want[0], 1e-5, 1e-5))
        << describe(c) << " output, max diff " << (got[0] - want[0]).abs().max().item<double>();
    const char* names[] = {"output", "x", "weight", "bias", "shift", "residual"};
    for (size_t i = 1; i < want.size(); ++i) {
      ASSERT_EQ(got[i].defined(), want[i].defined()) << describe(c) << " " << names[i];
      if (!want[i].defined()) continue;
      EXPECT_TRUE(torch::allclose(got[i], want[i], 1e-4, 1e-4))
          << describe(c) << " gradient of " << names[i] << ", max diff " << (got[i] - want[i]).abs().max().item<double>();
    }
    if (c.dropout > 0) {  // the same hash mask: exactly the same elements are zero
      EXPECT_TRUE(torch::equal(got[0].eq(0), want[0].eq(0))) << describe(c);
      EXPECT_GT(got[0].eq(0).sum().item<int64_t>(), 0) << describe(c);
    }
  }
}

TEST(FusedNormAct, InferencePathEqualsTrainingPathAndSavesNoGraph) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({2, 4, 16, 16});
  const torch::Tensor w = torch::rand({4}) + 0.5, b = torch::randn({4});
  NormActOptions o;
  o.shift = torch::randn({2, 4});
  o.residual = torch::randn({2, 4, 16, 16});
  torch::Tensor inferred;
  {
    torch::InferenceMode guard;
    inferred = norm_act(x, w, b, o);
  }
  EXPECT_FALSE(inferred.requires_grad());
  const torch::Tensor wg = w.clone().requires_grad_();
  const torch::Tensor trained = norm_act(x, wg, b, o);
  EXPECT_TRUE(trained.requires_grad());
  EXPECT_TRUE(torch::equal(inferred, trained.detach()));
}

TEST(FusedNormAct, StatisticsAreAccurateForLargeOffsetPlanes) {
  // 64³ values around 1000 with unit spread: a naive float Σx² - (Σx)² would lose most digits. Compare with the
  // normalisation done in double precision.
  torch::manual_seed(9);
  const torch::Tensor x = torch::randn({1, 2, 64, 64, 64}) + 1000;
  NormActOptions o;
  o.gelu = false;
  const torch::Tensor y = norm_act(x, torch::ones({2}), torch::zeros({2}), o);
  const torch::Tensor xd = x.to(torch::kDouble);
  const torch::Tensor mean = xd.mean({2, 3, 4}, true);
  const torch::Tensor var = (xd - mean).pow(2).mean({2, 3, 4}, true);
  const torch::Tensor want = (xd - mean) / (var + 1e-6).sqrt();
  EXPECT_LT((y.to(torch::kDouble) - want).abs().max().item<double>(), 2e-4);
}

TEST(FusedNormAct, GeluMatchesTheClosedFormOverAWideRange) {
  // With weight 1, bias 0 and a plane whose mean is 0 and variance 1, the output is GELU of the (normalised) input:
  // check the exp-based kernel against double-precision 0.5 z (1 + tanh(√(2/π)(z + 0.044715 z³))) from -30 to 30.
  const torch::Tensor z = torch::linspace(-30, 30, 6001, torch::kDouble);
  const torch::Tensor zs = (z - z.mean()) / z.var(false).sqrt();
  const torch::Tensor x = zs.to(torch::kFloat).view({1, 1, -1});
  NormActOptions o;
  o.eps = 0;
  const torch::Tensor y = norm_act(x, torch::ones({1}), torch::zeros({1}), o).to(torch::kDouble).view({-1});
  const torch::Tensor xn = x.to(torch::kDouble).view({-1});
  const torch::Tensor n = (xn - xn.mean()) / xn.var(false).sqrt();
  const torch::Tensor want = 0.5 * n * (1 + torch::tanh(0.7978845608028654 * (n + 0.044715 * n.pow(3))));
  EXPECT_LT((y - want).abs().max().item<double>(), 5e-6);
}

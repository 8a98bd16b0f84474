// The reducer's bucket mechanics in a world of one (the all-reduce is the identity there, so every gradient must
// come back exactly as accumulated); the cross-process behaviour is tested end to end in test_distributed_cli.py.
#include "diffseg/dist/gradient_reducer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace diffseg::dist;

namespace {
struct Net {
  torch::Tensor a = torch::randn({300}, torch::requires_grad());
  torch::Tensor b = torch::randn({40, 10}, torch::requires_grad());
  torch::Tensor unused = torch::randn({7}, torch::requires_grad());
  torch::Tensor loss(const torch::Tensor& x) const { return (a.sum() * x).pow(2).sum() + torch::mm(b, x.view({10, 1})).sum(); }
  std::vector<torch::Tensor> params() const { return {a, b, unused}; }
};
}  // namespace

TEST(GradientReducer, BucketsGiveBackTheAccumulatedGradient) {
  torch::manual_seed(0);
  Net net;
  const torch::Tensor x1 = torch::randn({10}), x2 = torch::randn({10});
  // Reference: plain accumulation over two micro-batches.
  net.loss(x1).backward();
  net.loss(x2).backward();
  const torch::Tensor ga = net.a.grad().clone(), gb = net.b.grad().clone();
  for (bool overlap : {true, false}) {
    net.a.mutable_grad() = torch::Tensor();
    net.b.mutable_grad() = torch::Tensor();
    ReducerOptions o;
    o.bucket_bytes = 1000;  // several buckets: a (1200 B) alone, b split from it
    o.overlap = overlap;
    GradientReducer reducer(Group::single(), net.params(), o);
    EXPECT_GE(reducer.bucket_count(), 2u);
    EXPECT_EQ(reducer.bytes_per_step(), (300 + 400 + 7) * 4);
    reducer.begin_backward(false);
    net.loss(x1).backward();
    reducer.begin_backward(true);
    net.loss(x2).backward();
    reducer.finish();
    EXPECT_TRUE(torch::allclose(net.a.grad(), ga, 1e-6, 1e-6)) << overlap;
    EXPECT_TRUE(torch::allclose(net.b.grad(), gb, 1e-6, 1e-6)) << overlap;
    ASSERT_TRUE(net.unused.grad().defined());  // unused parameters get a zero gradient, as on every rank
    EXPECT_EQ(net.unused.grad().abs().sum().item<float>(), 0.0f);
    net.unused.mutable_grad() = torch::Tensor();
  }
}

TEST(GradientReducer, BroadcastInAWorldOfOneChangesNothing) {
  const torch::Tensor t = torch::randn({5});
  const torch::Tensor before = t.clone();
  auto group = Group::single();
  broadcast_tensors(*group, {t});
  EXPECT_TRUE(torch::equal(t, before));
  EXPECT_EQ(group->allgather(t).sizes().vec(), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(group->allgather_strings("x"), std::vector<std::string>{"x"});
  EXPECT_NO_THROW(group->require_identical("anything", 42));
}

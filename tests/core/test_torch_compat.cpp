// torch_compat.h must behave the same on every LibTorch diffseg builds against (1.13 and 2.x).
#include "diffseg/core/torch_compat.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>

namespace tc = diffseg::torch_compat;

TEST(TorchCompat, VersionMacros) {
  EXPECT_TRUE(DIFFSEG_TORCH_AT_LEAST(1, 13));
  EXPECT_TRUE(DIFFSEG_TORCH_AT_LEAST(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR));
  EXPECT_FALSE(DIFFSEG_TORCH_AT_LEAST(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR + 1));
  EXPECT_FALSE(DIFFSEG_TORCH_AT_LEAST(TORCH_VERSION_MAJOR + 1, 0));
  EXPECT_EQ(static_cast<bool>(DIFFSEG_HAS_SDPA), TORCH_VERSION_MAJOR >= 2);
}

TEST(TorchCompat, CpuAutocastStateIsSetAndRestored) {
  const auto cpu = c10::DeviceType::CPU;
  const bool was_enabled = tc::is_autocast_enabled(cpu);
  const bool cuda_was_enabled = tc::is_autocast_enabled(c10::DeviceType::CUDA);
  const at::ScalarType was_dtype = tc::get_autocast_dtype(cpu);
  ASSERT_FALSE(was_enabled);

  tc::set_autocast_dtype(cpu, at::kBFloat16);
  tc::set_autocast_enabled(cpu, true);
  EXPECT_TRUE(tc::is_autocast_enabled(cpu));
  EXPECT_EQ(tc::get_autocast_dtype(cpu), at::kBFloat16);
  EXPECT_EQ(tc::is_autocast_enabled(c10::DeviceType::CUDA), cuda_was_enabled);  // per device
  const at::Tensor a = at::ones({4, 4});
  EXPECT_EQ(at::mm(a, a).scalar_type(), at::kBFloat16);  // autocast is really on, not just the flag

  tc::set_autocast_enabled(cpu, false);
  tc::set_autocast_dtype(cpu, was_dtype);
  EXPECT_FALSE(tc::is_autocast_enabled(cpu));
  EXPECT_EQ(tc::get_autocast_dtype(cpu), was_dtype);
  EXPECT_EQ(at::mm(a, a).scalar_type(), at::kFloat);
}

TEST(TorchCompat, KeepAliveHoldsAnAutogradNodeOfEitherPointerType) {
  const at::Tensor w = at::ones({3}).set_requires_grad(true);
  auto node = torch::autograd::impl::grad_accumulator(w);  // shared_ptr (1.13) or intrusive_ptr (2.x)
  torch::autograd::Node* const raw = node.get();
  std::shared_ptr<void> held = tc::keep_alive(std::move(node));
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(torch::autograd::impl::grad_accumulator(w).get(), raw);  // the tensor holds it weakly: alive through held
  held.reset();
}

#if DIFFSEG_HAS_SDPA
TEST(TorchCompat, ScaledDotProductAttentionMatchesSoftmaxAttention) {
  at::manual_seed(3);
  const at::Tensor q = at::randn({2, 4, 8, 16}), k = at::randn({2, 4, 8, 16}), v = at::randn({2, 4, 8, 16});
  const at::Tensor reference = at::softmax(at::matmul(q, k.transpose(-2, -1)) / 4.0, -1).matmul(v);
  EXPECT_TRUE(at::allclose(at::scaled_dot_product_attention(q, k, v), reference, 1e-5, 1e-5));
}
#endif

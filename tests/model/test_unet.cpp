#include "diffseg/model/unet.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "diffseg/core/error.h"
#include "diffseg/model/weights.h"
#include "test_util.h"

using namespace diffseg::model;

namespace {

// A tiny network (channels 8..32) so tests run in seconds on 2 cores.
UNetOptions tiny(int64_t dims, bool diffusion) {
  UNetOptions o;
  o.spatial_dims = dims;
  o.in_channels = 1;
  o.mask_channels = diffusion ? 3 : 0;
  o.out_channels = 3;
  o.channels = {8, 16, 32};
  o.num_heads = 2;
  o.patch_size = std::vector<int64_t>(static_cast<size_t>(dims), 2);
  o.scale_factor = std::vector<int64_t>(static_cast<size_t>(dims), 2);
  if (dims == 3) o.patch_size[2] = 1;  // anisotropic first down-sampling, as for the prostate data
  o.time_conditioning = diffusion;
  return o;
}

std::vector<int64_t> image_shape(int64_t batch, int64_t channels, int64_t dims) {
  return dims == 2 ? std::vector<int64_t>{batch, channels, 16, 24} : std::vector<int64_t>{batch, channels, 8, 16, 12};
}

UNet build(const UNetOptions& o, uint64_t seed = 0) {
  UNet net(o);
  initialise(net, seed);
  net->eval();
  return net;
}

std::string python() { return diffseg::test::debian_python(); }
std::string mirror() { return std::string(DIFFSEG_TEST_SOURCE_DIR) + "/../bench/reference/unet.py"; }

}  // namespace

TEST(UNet, OutputShapesFor2D3DDiffusionSupervisedAndBatchSizes) {
  torch::NoGradGuard no_grad;
  for (int64_t dims : {2, 3})
    for (bool diffusion : {true, false})
      for (int64_t batch : {1, 3}) {
        const UNetOptions o = tiny(dims, diffusion);
        UNet net = build(o);
        const auto shape = image_shape(batch, 1, dims);
        const torch::Tensor image = torch::rand(shape);
        torch::Tensor mask, time;
        if (diffusion) {
          mask = torch::rand(image_shape(batch, 3, dims));
          time = torch::rand({batch});
        }
        const torch::Tensor out = net->forward(image, mask, time);
        auto expected = shape;
        expected[1] = 3;
        EXPECT_EQ(out.sizes().vec(), expected) << dims << "D diffusion=" << diffusion << " batch=" << batch;
      }
}

TEST(UNet, InvalidSizesAndMissingInputsAreClearErrors) {
  UNet net = build(tiny(2, true));
  try {
    net->forward(torch::rand({1, 1, 18, 24}), torch::rand({1, 3, 18, 24}), torch::rand({1}));
    FAIL() << "accepted a size that is not a multiple of 4";
  } catch (const diffseg::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("multiple"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("20x24"), std::string::npos) << e.what();
  }
  EXPECT_THROW(net->forward(torch::rand({1, 1, 16, 24})), diffseg::UsageError);
  EXPECT_THROW(net->forward(torch::rand({1, 1, 16, 24}), torch::rand({1, 3, 16, 24})), diffseg::UsageError);
}

TEST(UNet, TimeAndNoisyMaskChangeTheOutput) {
  torch::NoGradGuard no_grad;
  UNet net = build(tiny(2, true));
  torch::manual_seed(0);
  const torch::Tensor image = torch::rand({2, 1, 16, 24}), mask = torch::rand({2, 3, 16, 24});
  const torch::Tensor t = torch::tensor({0.3f, 0.3f});
  const torch::Tensor base = net->forward(image, mask, t);
  EXPECT_GT((net->forward(image, mask, torch::tensor({0.9f, 0.9f})) - base).abs().max().item<float>(), 1e-4);
  EXPECT_GT((net->forward(image, torch::rand({2, 3, 16, 24}), t) - base).abs().max().item<float>(), 1e-4);
  EXPECT_TRUE(torch::equal(net->forward(image, mask, t), base));  // eval mode: deterministic
}

// The reference's placement (time added before the instance norm) makes the output independent of the time: the
// norm removes any per-channel constant. This is why diffseg adds it after the norm by default.
TEST(UNet, ReferenceTimeInjectionIsCancelledByTheNorm) {
  torch::NoGradGuard no_grad;
  UNetOptions o = tiny(2, true);
  o.time_injection = "reference";
  UNet net = build(o);
  const torch::Tensor image = torch::rand({1, 1, 16, 24}), mask = torch::rand({1, 3, 16, 24});
  const torch::Tensor a = net->forward(image, mask, torch::tensor({0.1f})), b = net->forward(image, mask, torch::tensor({0.9f}));
  EXPECT_LT((a - b).abs().max().item<float>(), 1e-4);
}

TEST(UNet, OneBackwardPassGivesFiniteNonZeroGradientsEverywhere) {
  for (int64_t dims : {2, 3}) {
    UNetOptions o = tiny(dims, true);
    o.dropout = 0.0;
    UNet net(o);
    initialise(net, 1);
    net->train();
    torch::manual_seed(1);
    const torch::Tensor out = net->forward(torch::rand(image_shape(2, 1, dims)), torch::rand(image_shape(2, 3, dims)),
                                           torch::rand({2}));
    (out.pow(2).mean() + out.select(1, 0).mean()).backward();
    for (const auto& p : net->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << dims << "D " << p.key();
    }
  }
}

TEST(UNet, InitialisationIsSeeded) {
  UNet a = build(tiny(2, true), 5), b = build(tiny(2, true), 5), c = build(tiny(2, true), 6);
  const auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  EXPECT_TRUE(torch::equal(pa["encoder.1.res.0.conv1.weight"], pb["encoder.1.res.0.conv1.weight"]));
  EXPECT_FALSE(torch::equal(pa["encoder.1.res.0.conv1.weight"], pc["encoder.1.res.0.conv1.weight"]));
  // LeCun normal: std ≈ sqrt(1 / fan_in) for a conv with fan_in = 16 * 3 * 3.
  const torch::Tensor w = pa["encoder.1.res.0.conv1.weight"];
  EXPECT_NEAR(w.std().item<double>(), std::sqrt(1.0 / 144.0), 0.2 * std::sqrt(1.0 / 144.0));
}

// The paper's muscle network (1 image channel, K = 2) against the count derived by hand in method.md, and every
// configuration against the Python mirror's count.
TEST(UNet, ParameterCountsMatchDesignAndPythonMirror) {
  UNetOptions paper;
  paper.mask_channels = 2;
  paper.out_channels = 2;
  UNet net(paper);
  int64_t n = 0;
  for (const auto& p : net->parameters()) n += p.numel();
  EXPECT_EQ(n, 12352514);  // docs/method.md, Parameter counts: muscle US, diffusion
  UNetOptions supervised = paper;
  supervised.mask_channels = 0;
  supervised.time_conditioning = false;
  int64_t ns = 0;
  for (const auto& p : UNet(supervised)->parameters()) ns += p.numel();
  EXPECT_EQ(ns, 11603554);

  diffseg::test::TempDir dir;
  UNetOptions reference_time = tiny(2, true);
  reference_time.time_injection = "reference";
  for (const UNetOptions& o : {paper, supervised, tiny(3, true), tiny(2, false), reference_time}) {
    int64_t count = 0;
    for (const auto& p : UNet(o)->parameters()) count += p.numel();
    std::ofstream(dir / "o.json") << o.mirror_json();
    std::string out;
    ASSERT_EQ(diffseg::test::run_command(python() + " " + mirror() + " params " + (dir / "o.json").string(), &out), 0);
    EXPECT_EQ(std::stoll(out), count);
  }
}

// The C++ forward and the PyTorch mirror agree to 1e-4 with the same weights and inputs (2D and 3D, both variants).
TEST(UNet, MatchesPythonMirrorWithSameWeights) {
  diffseg::test::TempDir dir;
  for (int64_t dims : {2, 3})
    for (bool diffusion : {true, false}) {
      SCOPED_TRACE(std::to_string(dims) + "D diffusion=" + std::to_string(diffusion));
      UNetOptions o = tiny(dims, diffusion);
      if (dims == 3 && diffusion) o.time_injection = "reference";  // the parity placement is mirrored too
      UNet net = build(o, 7);
      torch::manual_seed(3);
      std::map<std::string, torch::Tensor> inputs{{"image", torch::rand(image_shape(2, 1, dims))}};
      if (diffusion) {
        inputs["mask"] = torch::rand(image_shape(2, 3, dims));
        inputs["time"] = torch::tensor({0.25f, 1.0f});
      }
      auto input = [&](const char* name) { return inputs.count(name) ? inputs.at(name) : torch::Tensor(); };
      torch::Tensor expected;
      {
        torch::NoGradGuard no_grad;
        expected = net->forward(input("image"), input("mask"), input("time"));
      }
      std::ofstream(dir / "o.json") << o.mirror_json();
      save_state_dict(*net, dir / "w.pt");
      save_tensors(inputs, dir / "in.pt");
      ASSERT_EQ(diffseg::test::run_command(python() + " " + mirror() + " forward " + (dir / "o.json").string() + " " +
                                           (dir / "w.pt").string() + " " + (dir / "in.pt").string() + " " +
                                           (dir / "out.pt").string()),
                0);
      const torch::Tensor got = load_tensors(dir / "out.pt").at("logits");
      ASSERT_EQ(got.sizes(), expected.sizes());
      EXPECT_LT((got - expected).abs().max().item<float>(), 1e-4);
    }
}

TEST(Weights, RoundTripAndMismatchErrors) {
  diffseg::test::TempDir dir;
  UNet a = build(tiny(2, true), 1), b = build(tiny(2, true), 2);
  save_state_dict(*a, dir / "a.pt");
  load_state_dict(*b, dir / "a.pt");
  EXPECT_TRUE(torch::equal(a->named_parameters()["head.weight"], b->named_parameters()["head.weight"]));
  UNet other = build(tiny(2, false));
  EXPECT_THROW(load_state_dict(*other, dir / "a.pt"), diffseg::InputError);
  std::ofstream(dir / "junk.pt") << "not a pickle";
  EXPECT_THROW(load_tensors(dir / "junk.pt"), diffseg::InputError);
}

// Checkpointing recomputes the blocks in backward: same outputs and the same gradients (dropout included, thanks to
// the restored generator state) as the plain network.
TEST(UNet, GradientCheckpointingGivesTheSameGradients) {
  for (int64_t dims : {2, 3}) {
    UNetOptions plain = tiny(dims, true), ckpt = plain;
    ckpt.gradient_checkpointing = true;
    UNet a = build(plain, 11), b = build(ckpt, 11);
    a->train();
    b->train();
    const torch::Tensor image = torch::rand(image_shape(2, 1, dims)), mask = torch::rand(image_shape(2, 3, dims));
    const torch::Tensor time = torch::tensor({0.3f, 0.7f});
    torch::manual_seed(42);
    const torch::Tensor out_a = a->forward(image, mask, time);
    out_a.pow(2).mean().backward();
    torch::manual_seed(42);
    const torch::Tensor out_b = b->forward(image, mask, time);
    out_b.pow(2).mean().backward();
    EXPECT_TRUE(torch::allclose(out_a, out_b, 1e-5, 1e-6)) << dims;
    auto pa = a->named_parameters(), pb = b->named_parameters();
    for (const auto& p : pa) {
      const torch::Tensor ga = p.value().grad(), gb = pb[p.key()].grad();
      ASSERT_TRUE(gb.defined()) << dims << "D " << p.key();
      EXPECT_TRUE(torch::allclose(ga, gb, 1e-4, 1e-6)) << dims << "D " << p.key();
    }
  }
}

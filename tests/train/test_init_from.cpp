// train --init-from: a diffusion network started from a trained supervised one predicts exactly what the supervised
// network predicts, whatever noisy mask, self-conditioning input and time it is given (docs/method.md, Fine-tuning
// from a supervised model); and sources that are not such a network are refused naming the file.
#include <fstream>
#include <functional>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/model/supervised_init.h"
#include "diffseg/model/weights.h"
#include "diffseg/train/checkpoint.h"
#include "diffseg/train/init_from.h"
#include "diffseg/train/strategy_registry.h"
#include "test_util.h"

using namespace diffseg;
using model::UNet;
using model::UNetOptions;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kClasses = 3, kImageChannels = 2;

// A small network (widths 8..32) with two image channels, so that copying the stem's image part is exercised.
UNetOptions tiny(const std::string& strategy, const std::string& time_injection = "after_norm", int64_t dims = 2) {
  UNetOptions o;
  o.spatial_dims = dims;
  o.in_channels = kImageChannels;
  o.out_channels = kClasses;
  o.channels = {8, 16, 32};
  o.num_res_blocks = 1;
  o.num_heads = 2;
  o.patch_size = std::vector<int64_t>(static_cast<size_t>(dims), 2);
  o.scale_factor = std::vector<int64_t>(static_cast<size_t>(dims), 2);
  const train::NetworkInputs inputs = train::network_inputs(strategy, kClasses);
  o.mask_channels = inputs.mask_channels;
  o.time_conditioning = inputs.time_conditioning;
  o.time_injection = time_injection;
  return o;
}

// Random weights everywhere, norm scales and every bias included (Flax's initialisation leaves those at 1 and 0,
// which would hide a bias or scale that was not copied).
UNet random_net(const UNetOptions& o, uint64_t seed) {
  UNet net(o);
  model::initialise(net, seed);
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (auto& p : net->parameters()) p.add_(torch::randn_like(p) * 0.1);
  net->eval();
  return net;
}

std::map<std::string, torch::Tensor> state_dict(const UNet& net) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : net->named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

std::vector<int64_t> shape(int64_t channels, int64_t dims) {
  return dims == 2 ? std::vector<int64_t>{2, channels, 16, 24} : std::vector<int64_t>{2, channels, 8, 16, 8};
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// What the supervised network predicts, and the diffusion network's prediction for a noisy mask (values in [0, 1],
// as x_to_mask gives them; for self-conditioning also a previous prediction) and times t.
struct Probe {
  torch::Tensor image, mask_a, mask_b, time_a, time_b;
  Probe(const UNetOptions& o, uint64_t seed) {
    torch::manual_seed(seed);
    image = torch::rand(shape(o.in_channels, o.spatial_dims));
    mask_a = torch::rand(shape(o.mask_channels, o.spatial_dims));
    mask_b = torch::rand(shape(o.mask_channels, o.spatial_dims));
    time_a = torch::rand({2}) * 0.9 + 0.05;  // two different times per batch, in (0, 1]
    time_b = torch::rand({2}) * 0.9 + 0.05;
  }
};

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A run folder as train writes it, reduced to what --init-from reads: config.yaml and the weights.
std::string run_config(const std::string& strategy, int64_t heads = 2) {
  return "data:\n  spatial_dims: 2\n  image_channels: " + std::to_string(kImageChannels) +
         "\n  num_classes: " + std::to_string(kClasses) +
         "\nmodel:\n  channels: [8, 16, 32]\n  num_res_blocks: 1\n  num_heads: " + std::to_string(heads) +
         "\ntrain:\n  strategy: " + strategy + "\n";
}

// The error's message, checked to name `what`.
template <class E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

}  // namespace

// The core property, for a recycling network (K mask channels) and a self-conditioning one (2K), in both time
// placements: for any noisy mask and any time, the output equals the supervised network's on the same image.
TEST(InitFrom, DiffusionNetworkReproducesTheSupervisedPrediction) {
  torch::NoGradGuard no_grad;
  UNet supervised = random_net(tiny("supervised"), 1);
  for (const std::string strategy : {"rec_xT", "sc_xt"})
    for (const std::string placement : {"after_norm", "reference"}) {
      SCOPED_TRACE(strategy + ", time_injection " + placement);
      const UNetOptions o = tiny(strategy, placement);
      UNet net = random_net(o, 2);
      const Probe p(o, 3);
      const torch::Tensor expected = supervised->forward(p.image);
      // Before: the random network's output depends on the mask (and, after the norm, on the time), so the checks
      // below can fail.
      EXPECT_GT(max_difference(net->forward(p.image, p.mask_a, p.time_a), net->forward(p.image, p.mask_b, p.time_a)),
                1e-3);
      if (placement == "after_norm") {
        EXPECT_GT(max_difference(net->forward(p.image, p.mask_a, p.time_a), net->forward(p.image, p.mask_a, p.time_b)),
                  1e-3);
      }

      model::initialise_from_supervised(net, state_dict(supervised), "supervised.pt");
      net->eval();
      const torch::Tensor a = net->forward(p.image, p.mask_a, p.time_a);
      EXPECT_LE(max_difference(a, expected), 1e-6) << "the first prediction is not the supervised one";
      EXPECT_LE(max_difference(net->forward(p.image, p.mask_b, p.time_a), expected), 1e-6)
          << "another mask changes the output";
      EXPECT_LE(max_difference(net->forward(p.image, p.mask_a, p.time_b), expected), 1e-6)
          << "another time changes the output";
      EXPECT_LE(max_difference(net->forward(p.image, torch::zeros_like(p.mask_a), p.time_b), expected), 1e-6);
    }
}

TEST(InitFrom, ThreeDimensionalNetwork) {
  torch::NoGradGuard no_grad;
  UNet supervised = random_net(tiny("supervised", "after_norm", 3), 4);
  const UNetOptions o = tiny("rec_xt1", "after_norm", 3);
  UNet net = random_net(o, 5);
  model::initialise_from_supervised(net, state_dict(supervised), "supervised.pt");
  const Probe p(o, 6);
  const torch::Tensor expected = supervised->forward(p.image);
  EXPECT_LE(max_difference(net->forward(p.image, p.mask_a, p.time_a), expected), 1e-6);
  EXPECT_LE(max_difference(net->forward(p.image, p.mask_b, p.time_b), expected), 1e-6);
}

// Exactly the extra parts start at zero; everything shared is the supervised weight.
TEST(InitFrom, SharedWeightsCopiedExtraPartsZero) {
  UNet supervised = random_net(tiny("supervised"), 1);
  UNet net = random_net(tiny("sc_xt1"), 2);
  const auto weights = state_dict(supervised);
  model::initialise_from_supervised(net, weights, "supervised.pt");
  int time_projections = 0;
  for (const auto& p : net->named_parameters()) {
    const std::string& name = p.key();
    if (name.find("time_proj.") != std::string::npos) {
      ++time_projections;
      EXPECT_EQ(p.value().abs().max().item<double>(), 0.0) << name;
    } else if (name == "stem.conv.weight") {
      EXPECT_TRUE(torch::equal(p.value().narrow(1, 0, kImageChannels), weights.at(name)));
      EXPECT_EQ(p.value().narrow(1, kImageChannels, 2 * kClasses).abs().max().item<double>(), 0.0);
    } else {
      EXPECT_TRUE(torch::equal(p.value(), weights.at(name))) << name;
    }
  }
  EXPECT_GT(time_projections, 0);
}

// Zero is a starting point, not a switch: the mask weights and (after the norm) the time projections get gradients.
TEST(InitFrom, ExtraInputsStillLearn) {
  UNet supervised = random_net(tiny("supervised"), 1);
  const UNetOptions o = tiny("rec_xT", "after_norm");
  UNet net = random_net(o, 2);
  model::initialise_from_supervised(net, state_dict(supervised), "supervised.pt");
  const Probe p(o, 3);
  torch::Tensor target = torch::randn(shape(kClasses, 2));
  (net->forward(p.image, p.mask_a, p.time_a) * target).sum().backward();
  for (const auto& q : net->named_parameters()) {
    if (q.key() == "stem.conv.weight") {
      EXPECT_GT(q.value().grad().narrow(1, kImageChannels, kClasses).abs().max().item<double>(), 0.0);
    }
    if (q.key() == "bottom_in.time_proj.weight") {
      EXPECT_GT(q.value().grad().abs().max().item<double>(), 0.0);
    }
  }
}

TEST(InitFrom, RefusesWhatIsNotThisRunsSupervisedNetwork) {
  UNet diffusion_net = random_net(tiny("rec_xT"), 1);
  UNet net = random_net(tiny("rec_xT"), 2);
  std::string m = message_of<UsageError>([&] { model::initialise_from_supervised(net, state_dict(diffusion_net), "d.pt"); });
  EXPECT_NE(m.find("d.pt"), std::string::npos) << m;
  EXPECT_NE(m.find("time branch"), std::string::npos) << m;

  UNetOptions more_classes = tiny("supervised");
  more_classes.out_channels = 4;
  m = message_of<UsageError>([&] { model::initialise_from_supervised(net, state_dict(random_net(more_classes, 1)), "k4.pt"); });
  EXPECT_NE(m.find("k4.pt"), std::string::npos) << m;
  EXPECT_NE(m.find("head."), std::string::npos) << m;

  UNetOptions wider = tiny("supervised");
  wider.channels = {8, 16, 16};
  m = message_of<UsageError>([&] { model::initialise_from_supervised(net, state_dict(random_net(wider, 1)), "w.pt"); });
  EXPECT_NE(m.find("w.pt"), std::string::npos) << m;

  UNetOptions more_blocks = tiny("supervised");
  more_blocks.num_res_blocks = 2;
  m = message_of<UsageError>([&] { model::initialise_from_supervised(net, state_dict(random_net(more_blocks, 1)), "b.pt"); });
  EXPECT_NE(m.find("b.pt"), std::string::npos) << m;
  EXPECT_NE(m.find("unexpected weight"), std::string::npos) << m;

  UNetOptions three_d = tiny("supervised", "after_norm", 3);
  m = message_of<UsageError>([&] { model::initialise_from_supervised(net, state_dict(random_net(three_d, 1)), "3d.pt"); });
  EXPECT_NE(m.find("3d.pt"), std::string::npos) << m;

  // A supervised network of an image with more channels than this run's reads them through the stem.
  UNetOptions one_channel = tiny("rec_xT");
  one_channel.in_channels = 1;
  UNet narrow = random_net(one_channel, 2);
  m = message_of<UsageError>([&] {
    model::initialise_from_supervised(narrow, state_dict(random_net(tiny("supervised"), 1)), "c2.pt");
  });
  EXPECT_NE(m.find("c2.pt"), std::string::npos) << m;
  EXPECT_NE(m.find("input channels"), std::string::npos) << m;
}

// From files: a run folder (model_best.pt before model_last.pt), a weights file and a checkpoint.
TEST(InitFrom, RunFolderWeightsFileAndCheckpoint) {
  test::TempDir tmp;
  torch::NoGradGuard no_grad;
  UNet best = random_net(tiny("supervised"), 1), last = random_net(tiny("supervised"), 9);
  const fs::path run = tmp / "sup";
  write(run / "config.yaml", run_config("supervised"));
  model::save_state_dict(*best, run / "model_best.pt");
  model::save_state_dict(*last, run / "model_last.pt");
  {
    fs::create_directories(run / "checkpoints");
    torch::optim::AdamW optimizer(last->parameters());
    const auto sampler = diffusion::make_time_sampler({}, 10);
    train::TrainingState state;
    train::save_checkpoint(run / "checkpoints" / "last.ckpt", last, optimizer, state, *sampler);
  }
  const auto from_checkpoint = train::read_checkpoint_tensors(run / "checkpoints" / "last.ckpt");
  const auto saved = state_dict(last);
  ASSERT_EQ(from_checkpoint.size(), saved.size());
  for (const auto& [name, t] : saved) EXPECT_TRUE(torch::equal(from_checkpoint.at(name), t)) << name;

  const UNetOptions o = tiny("rec_xT", "reference");
  const Probe p(o, 3);
  for (auto [source, reference, file] :
       {std::tuple{run, best, run / "model_best.pt"}, std::tuple{run / "model_last.pt", last, run / "model_last.pt"},
        std::tuple{run / "checkpoints" / "last.ckpt", last, run / "checkpoints" / "last.ckpt"}}) {
    SCOPED_TRACE(source.string());
    UNet net = random_net(o, 2);
    const fs::path used = train::initialise_from_supervised_run(net, source, diffusion::ModelOutput::x_start);
    EXPECT_EQ(used, fs::absolute(file).lexically_normal());
    net->eval();
    EXPECT_LE(max_difference(net->forward(p.image, p.mask_a, p.time_a), reference->forward(p.image)), 1e-6);
  }
  fs::remove(run / "model_best.pt");  // a run without validation cases has only model_last.pt
  UNet net = random_net(o, 2);
  EXPECT_EQ(train::initialise_from_supervised_run(net, run, diffusion::ModelOutput::x_start).filename(),
            "model_last.pt");
}

TEST(InitFrom, RefusesOtherRunsAndBadFilesNamingThem) {
  test::TempDir tmp;
  const auto noise = diffusion::ModelOutput::noise, x_start = diffusion::ModelOutput::x_start;
  UNet net = random_net(tiny("rec_xT"), 2);
  UNet supervised = random_net(tiny("supervised"), 1);
  const auto init = [&](const fs::path& source, diffusion::ModelOutput output = diffusion::ModelOutput::x_start) {
    return [&net, source, output] { train::initialise_from_supervised_run(net, source, output); };
  };

  // A diffusion run, as a folder or through one of its files: usage error naming its config.
  const fs::path rec = tmp / "rec";
  write(rec / "config.yaml", run_config("rec_xT"));
  model::save_state_dict(*supervised, rec / "model_best.pt");
  for (const fs::path& source : {rec, rec / "model_best.pt"}) {
    const std::string m = message_of<UsageError>(init(source));
    EXPECT_NE(m.find((rec / "config.yaml").string()), std::string::npos) << m;
    EXPECT_NE(m.find("rec_xT"), std::string::npos) << m;
  }
  // A supervised run of another network (the head width, which the weights' shapes do not show).
  const fs::path heads = tmp / "heads";
  write(heads / "config.yaml", run_config("supervised", 4));
  model::save_state_dict(*supervised, heads / "model_best.pt");
  std::string m = message_of<UsageError>(init(heads));
  EXPECT_NE(m.find("model.num_heads"), std::string::npos) << m;
  EXPECT_NE(m.find((heads / "config.yaml").string()), std::string::npos) << m;
  // A noise-predicting diffusion network cannot reproduce the supervised logits.
  const fs::path sup = tmp / "sup";
  write(sup / "config.yaml", run_config("supervised"));
  model::save_state_dict(*supervised, sup / "model_best.pt");
  m = message_of<UsageError>(init(sup, noise));
  EXPECT_NE(m.find("model_output"), std::string::npos) << m;
  EXPECT_NO_THROW(init(sup, x_start)());

  // Missing, not a run folder, empty, damaged: bad input naming the file.
  m = message_of<InputError>(init(tmp / "nowhere"));
  EXPECT_NE(m.find("nowhere"), std::string::npos) << m;
  fs::create_directories(tmp / "empty_folder");
  m = message_of<InputError>(init(tmp / "empty_folder"));
  EXPECT_NE(m.find("config.yaml"), std::string::npos) << m;
  for (const std::string name : {"junk.pt", "junk.ckpt"}) {
    write(tmp / "loose" / name, "not a weights file");
    m = message_of<InputError>(init(tmp / "loose" / name));
    EXPECT_NE(m.find(name), std::string::npos) << m;
  }
  write(tmp / "loose" / "empty.pt", "");
  m = message_of<InputError>(init(tmp / "loose" / "empty.pt"));
  EXPECT_NE(m.find("empty.pt"), std::string::npos) << m;
  // A loose file (no run folder around it) is checked by its weights alone.
  UNet diffusion_net = random_net(tiny("rec_xT"), 1);
  model::save_state_dict(*diffusion_net, tmp / "loose" / "diffusion.pt");
  m = message_of<UsageError>(init(tmp / "loose" / "diffusion.pt"));
  EXPECT_NE(m.find("diffusion.pt"), std::string::npos) << m;
}

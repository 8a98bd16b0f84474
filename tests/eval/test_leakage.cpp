// The leakage diagnostic on one case (eval/leakage_case.h) with stub networks whose answers are known in closed form:
// a network that copies its mask input, and one that always answers the truth.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/diffusion/gaussian_diffusion.h"
#include "diffseg/eval/leakage.h"
#include "diffseg/eval/leakage_case.h"

using namespace diffseg;
using namespace diffseg::eval;

namespace {

constexpr int64_t kClasses = 3;

// A 16 × 16 label map with two foreground classes.
at::Tensor truth_labels() {
  at::Tensor l = torch::zeros({16, 16}, torch::kByte);
  l.slice(0, 2, 8).slice(1, 2, 8).fill_(1);
  l.slice(0, 9, 14).slice(1, 5, 15).fill_(2);
  return l;
}

// Mean foreground Dice written out here, independently of the library: per class 2|P∩G| / (|P| + |G|), classes
// absent from both left out.
double reference_dice(const at::Tensor& predicted, const at::Tensor& truth) {
  double sum = 0;
  int n = 0;
  for (int64_t c = 1; c < kClasses; ++c) {
    const double p = (predicted == c).sum().item<double>(), g = (truth == c).sum().item<double>();
    const double both = ((predicted == c) & (truth == c)).sum().item<double>();
    if (p + g == 0) continue;
    sum += 2 * both / (p + g);
    ++n;
  }
  return sum / n;
}

// What a stub network was shown: its mask input and the time it was told.
struct Call {
  at::Tensor mask, time;
};

// Copies its mask input as its x0 prediction: logits that put certainty on the argmax of each voxel's mask
// channels, so x̂0 = 2 softmax − 1 is exactly the one-hot of that argmax.
train::Network copy_network(std::vector<Call>& calls) {
  return [&calls](const at::Tensor&, const at::Tensor& mask, const at::Tensor& time) {
    calls.push_back({mask.clone(), time.clone()});
    return torch::one_hot(mask.argmax(1), kClasses).movedim(-1, 1).to(torch::kFloat) * 1000.0;
  };
}

diffusion::GaussianDiffusion chain_1001() { return diffusion::GaussianDiffusion::from_schedule({}); }

}  // namespace

TEST(Leakage, DefaultLevelsSpreadOverTheChain) {
  EXPECT_EQ(default_leakage_levels(1001), (std::vector<int64_t>{0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}));
  EXPECT_EQ(default_leakage_levels(5), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(default_leakage_levels(11).size(), 11u);
  EXPECT_EQ(default_leakage_levels(21).back(), 20);
}

// Given the truth at t = 0 (noise std 0.01), the copying network returns the truth: Dice 1 exactly. Given its own
// prediction from x_T, it returns that prediction, which is the argmax of the noise it was shown at x_T.
TEST(Leakage, CopyingNetworkHasTruthAtZeroAndItsNoiseAsOwnPrediction) {
  const diffusion::GaussianDiffusion chain = chain_1001();
  const at::Tensor labels = truth_labels();
  const at::Tensor image = torch::rand({1, 16, 16});
  std::vector<Call> calls;
  const CaseLeakage r = case_leakage(copy_network(calls), chain, image, labels, kClasses, {0, 500}, {}, 7, 3);
  ASSERT_EQ(r.truth_input.size(), 2u);
  ASSERT_EQ(r.own_prediction_input.size(), 2u);
  EXPECT_EQ(r.truth_input[0], 1.0);

  // The x_T pass is the one call told the chain's last time, 1.0 (the levels asked for are 0 and 500).
  const double last_time = static_cast<double>(1000 + 1) / 1001;
  std::vector<at::Tensor> at_last;
  for (const Call& c : calls)
    if (std::abs(c.time[0].item<double>() - last_time) < 1e-7) at_last.push_back(c.mask);
  ASSERT_EQ(at_last.size(), 1u) << "one pass from x_T per case";
  EXPECT_EQ(calls.size(), 1u + 2u * 2u) << "x_T, then two inputs per level";
  const at::Tensor noise_argmax = at_last[0][0].argmax(0);
  const double expected = reference_dice(noise_argmax, labels);
  EXPECT_NEAR(r.own_prediction_input[0], expected, 1e-12);
  EXPECT_LT(expected, 0.8) << "x_T is nearly pure noise: its argmax is far from the truth";
  // The x_T input carries almost nothing of the truth: the true class wins at about chance level.
  const double agreement = (noise_argmax == labels.to(torch::kLong)).to(torch::kDouble).mean().item<double>();
  EXPECT_LT(agreement, 0.6);

  // Each level's passes are told that level's training-grid time (t + 1) / T.
  for (size_t i = 1; i < calls.size(); ++i) {
    const double t = i <= 2 ? 0 : 500;
    EXPECT_NEAR(calls[i].time[0].item<double>(), (t + 1) / 1001, 1e-7) << "call " << i;
  }
}

// A network that ignores its mask and answers the truth has nothing to leak: Dice 1 under both inputs at every level.
TEST(Leakage, NetworkThatIgnoresTheMaskHasNoGap) {
  const at::Tensor labels = truth_labels();
  const train::Network oracle = [&](const at::Tensor& image, const at::Tensor&, const at::Tensor&) {
    const at::Tensor onehot = torch::one_hot(labels.to(torch::kLong), kClasses).movedim(-1, 0).to(torch::kFloat);
    return (onehot * 1000.0).unsqueeze(0).expand({image.size(0), kClasses, 16, 16}).contiguous();
  };
  const CaseLeakage r =
      case_leakage(oracle, chain_1001(), torch::rand({1, 16, 16}), labels, kClasses, {0, 300, 1000}, {}, 1, 0);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.truth_input[i], 1.0);
    EXPECT_EQ(r.own_prediction_input[i], 1.0);
  }
}

// Windows cut image, truth and noise at the same places: for a network whose answer at a voxel depends only on that
// voxel's mask input, overlapping windows give exactly the whole-image result.
TEST(Leakage, SlidingWindowsMatchTheWholeImage) {
  const diffusion::GaussianDiffusion chain = chain_1001();
  const at::Tensor labels = truth_labels();
  const at::Tensor image = torch::rand({1, 16, 16});
  std::vector<Call> calls;
  const std::vector<int64_t> levels{0, 200, 600};
  const CaseLeakage whole = case_leakage(copy_network(calls), chain, image, labels, kClasses, levels, {}, 5, 2);
  LeakageWindows w;
  w.patch = {8, 8};
  w.overlap = {4, 2};
  w.window_batch = 3;
  const CaseLeakage windowed = case_leakage(copy_network(calls), chain, image, labels, kClasses, levels, w, 5, 2);
  EXPECT_EQ(whole.truth_input, windowed.truth_input);
  EXPECT_EQ(whole.own_prediction_input, windowed.own_prediction_input);
}

// The noise is a function of (seed, case, level): the same call repeats exactly, another seed or case differs.
TEST(Leakage, NoiseIsKeyedBySeedCaseAndLevel) {
  const diffusion::GaussianDiffusion chain = chain_1001();
  const at::Tensor labels = truth_labels();
  const at::Tensor image = torch::rand({1, 16, 16});
  std::vector<Call> calls;
  const std::vector<int64_t> levels{0, 400, 800};
  auto run = [&](uint64_t seed, uint64_t case_index) {
    return case_leakage(copy_network(calls), chain, image, labels, kClasses, levels, {}, seed, case_index);
  };
  const CaseLeakage a = run(11, 4), again = run(11, 4), other_seed = run(12, 4), other_case = run(11, 5);
  EXPECT_EQ(a.truth_input, again.truth_input);
  EXPECT_EQ(a.own_prediction_input, again.own_prediction_input);
  EXPECT_NE(a.own_prediction_input, other_seed.own_prediction_input);
  EXPECT_NE(a.own_prediction_input, other_case.own_prediction_input);
  // Asking for a subset of the levels gives the same numbers for those levels.
  const CaseLeakage one = case_leakage(copy_network(calls), chain, image, labels, kClasses, {400}, {}, 11, 4);
  EXPECT_EQ(one.truth_input[0], a.truth_input[1]);
  EXPECT_EQ(one.own_prediction_input[0], a.own_prediction_input[1]);
}

// The one inference path (eval/inference.h) and the raw-scan ↔ model-grid mapping (eval/model_grid.h), against
// closed forms: entropy values, exact flips and crops of probability maps, and the refusals of bad scans.
#include <cmath>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/data/reorient.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/eval/inference.h"
#include "diffseg/eval/model_grid.h"

using namespace diffseg;
using namespace diffseg::eval;

namespace {

TrainedRun fake_run(int dims, int64_t classes, std::optional<data::PreprocessOptions> recipe) {
  TrainedRun r;
  r.spatial_dims = dims;
  r.num_classes = classes;
  r.image_channels = 1;
  r.preprocessing = std::move(recipe);
  return r;
}

// A 3D scan holding `values` (Z, Y, X) with the given geometry.
io::Image scan_of(const at::Tensor& values, const io::Geometry& g) { return data::to_image(values.to(torch::kFloat), 3, g); }

}  // namespace

TEST(Inference, NormalisedEntropyClosedForms) {
  const at::Tensor uniform = torch::full({4, 3, 3}, 0.25);
  EXPECT_NEAR(normalised_entropy(uniform).max().item<double>(), 1.0, 1e-6);
  at::Tensor certain = torch::zeros({4, 3, 3});
  certain[2] = 1;
  EXPECT_NEAR(normalised_entropy(certain).abs().max().item<double>(), 0.0, 1e-6);
  at::Tensor binary = torch::empty({2, 1, 1});
  binary[0] = 0.25, binary[1] = 0.75;
  const double h = -(0.25 * std::log(0.25) + 0.75 * std::log(0.75)) / std::log(2.0);
  EXPECT_NEAR(normalised_entropy(binary).item<double>(), h, 1e-6);
}

TEST(Inference, FinalLabelsAreTheArgmax) {
  const TrainedRun run = fake_run(2, 3, std::nullopt);
  at::Tensor scores = torch::zeros({3, 2, 2});
  scores[1][0][0] = 1, scores[2][1][1] = 1, scores[2][0][1] = 0.5, scores[1][0][1] = 0.4;
  const at::Tensor l = final_labels(scores, run);
  EXPECT_EQ(l.scalar_type(), torch::kInt);
  EXPECT_EQ(l[0][0].item<int>(), 1);
  EXPECT_EQ(l[0][1].item<int>(), 2);
  EXPECT_EQ(l[1][0].item<int>(), 0);
  EXPECT_EQ(l[1][1].item<int>(), 2);
}

// A scan in LPS orientation (x and y reversed) is reoriented for the network, and its probabilities come back as the
// exact mirror image: voxel for voxel, no interpolation.
TEST(ModelGrid, ReorientedScanMapsBackExactly) {
  data::PreprocessOptions recipe;
  recipe.reorient = true;
  const TrainedRun run = fake_run(3, 2, recipe);
  io::Geometry lps;
  lps.direction = {{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}};
  lps.spacing = {0.8, 0.9, 2.0};
  lps.origin = {30, 20, -5};
  const at::Tensor values = torch::rand({5, 6, 7});
  const io::Image scan = scan_of(values, lps);
  const ModelInput input = to_model_grid(scan, run, InputKind::automatic, "scan.nii.gz");
  ASSERT_TRUE(input.transformed) << input.description;
  EXPECT_TRUE(data::canonical_axis_mapping(input.image.geometry()).identity());
  const at::Tensor seen = data::to_tensor(input.image)[0];
  EXPECT_TRUE(torch::equal(seen, values.flip({1, 2})));  // tensor order (z, y, x): y and x reversed
  // Probabilities made on the model grid: class 1 = the image itself.
  const at::Tensor p1 = seen.unsqueeze(0);
  const at::Tensor p = torch::cat({1 - p1, p1});
  const at::Tensor back = to_scan_grid(p, input.image, scan);
  ASSERT_EQ(back.sizes(), (at::IntArrayRef{2, 5, 6, 7}));
  EXPECT_LT((back[1] - values).abs().max().item<double>(), 1e-5);
  EXPECT_LT((back.sum(0) - 1).abs().max().item<double>(), 1e-5);
}

// A model grid that covers part of the scan (a fixed crop): inside, the probabilities land on the same world
// positions; outside, background with certainty.
TEST(ModelGrid, CroppedModelGridFillsTheRestWithBackground) {
  io::Geometry g;
  g.spacing = {1.0, 1.0, 1.0};
  const io::Image scan = scan_of(torch::rand({4, 6, 10}), g);
  io::Geometry cropped = g;
  cropped.origin = {3, 1, 0};  // voxel (3, 1, 0) of the scan
  const io::Image model = scan_of(torch::rand({4, 4, 5}), cropped);
  at::Tensor p = torch::zeros({2, 4, 4, 5});
  p[1] = 0.8;
  p[0] = 0.2;
  const at::Tensor back = to_scan_grid(p, model, scan);
  EXPECT_NEAR(back[1][2][3][5].item<double>(), 0.8, 1e-5);  // scan (x 5, y 3) = model (x 2, y 2)
  EXPECT_NEAR(back[1][0][0][0].item<double>(), 0.0, 1e-6);  // left of the crop
  EXPECT_NEAR(back[0][0][0][0].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(back[0][1][5][9].item<double>(), 1.0, 1e-6);  // past the crop in x and y
  EXPECT_LT((back.sum(0) - 1).abs().max().item<double>(), 1e-5);
}

// CT in Hounsfield units is windowed as the recipe says; an image already in [0, 1] is recognised as prepared; the
// user can force either; a run without a recipe uses the input as it is.
TEST(ModelGrid, RecognisesPreparedInputsAndAppliesTheWindowToRawOnes) {
  data::PreprocessOptions recipe;
  recipe.intensity = {data::IntensityOptions::Mode::window, -1000, 1000};
  const TrainedRun run = fake_run(3, 2, recipe);
  io::Geometry g;
  const at::Tensor unit = torch::rand({3, 4, 5});
  const io::Image hu = scan_of(unit * 2000 - 1000, g);
  const ModelInput raw = to_model_grid(hu, run, InputKind::automatic, "ct.nii.gz");
  EXPECT_TRUE(raw.transformed);
  EXPECT_LT((data::to_tensor(raw.image)[0] - unit).abs().max().item<double>(), 1e-4);
  const io::Image prepared = scan_of(unit, g);
  EXPECT_FALSE(to_model_grid(prepared, run, InputKind::automatic, "p.nii.gz").transformed);
  EXPECT_TRUE(to_model_grid(prepared, run, InputKind::raw, "p.nii.gz").transformed);
  EXPECT_FALSE(to_model_grid(hu, run, InputKind::prepared, "ct.nii.gz").transformed);
  EXPECT_FALSE(to_model_grid(hu, fake_run(3, 2, std::nullopt), InputKind::automatic, "ct.nii.gz").transformed);
}

TEST(ModelGrid, RefusesScansTheRunCannotSegment) {
  const TrainedRun run2d = fake_run(2, 2, std::nullopt);
  const io::Image volume = scan_of(torch::rand({3, 4, 5}), {});
  EXPECT_THROW(to_model_grid(volume, run2d, InputKind::automatic, "v.nii.gz"), InputError);
  const TrainedRun run3d = fake_run(3, 2, std::nullopt);
  EXPECT_THROW(to_model_grid(scan_of(torch::full({3, 4, 5}, 7.0), {}), run3d, InputKind::automatic, "c.nii.gz"),
               InputError);
  at::Tensor nan = torch::rand({3, 4, 5});
  nan[1][2][3] = std::nan("");
  EXPECT_THROW(to_model_grid(scan_of(nan, {}), run3d, InputKind::automatic, "n.nii.gz"), InputError);
  TrainedRun two_channels = fake_run(3, 2, std::nullopt);
  two_channels.image_channels = 2;
  EXPECT_THROW(to_model_grid(volume, two_channels, InputKind::automatic, "v.nii.gz"), InputError);
  EXPECT_THROW(parse_input_kind("scanner"), UsageError);
}

// MR intensities have no fixed scale: with a percentile recipe, a scan and the same scan in other units (x 37 + 5)
// reach the network as the same image.
TEST(ModelGrid, PercentileRecipeIgnoresTheScannersIntensityScale) {
  data::PreprocessOptions recipe;
  recipe.intensity = {data::IntensityOptions::Mode::percentile, 0.5, 99.5};
  const TrainedRun run = fake_run(3, 2, recipe);
  const at::Tensor values = torch::rand({4, 6, 7}) * 300;
  const ModelInput a = to_model_grid(scan_of(values, {}), run, InputKind::automatic, "mr.nii.gz");
  const ModelInput b = to_model_grid(scan_of(values * 37 + 5, {}), run, InputKind::automatic, "mr_units.nii.gz");
  ASSERT_TRUE(a.transformed && b.transformed);
  EXPECT_LT((data::to_tensor(a.image) - data::to_tensor(b.image)).abs().max().item<double>(), 1e-4);
}

// Without resampling in the recipe the network sees the scan's own spacing: 10x from the training spacing warns.
TEST(ModelGrid, SpacingFarFromTheTrainingSpacingIsWarnedAbout) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  spdlog::default_logger()->sinks().push_back(sink);
  TrainedRun run = fake_run(3, 2, std::nullopt);
  run.config.set("data.spacing_xyz=[1.0, 1.0, 2.0]");
  io::Geometry near, far;
  near.spacing = {1.2, 0.9, 2.5};
  far.spacing = {12.0, 1.0, 2.0};
  to_model_grid(scan_of(torch::rand({3, 4, 5}), near), run, InputKind::automatic, "near.nii.gz");
  const size_t after_near = sink->last_formatted().size();
  to_model_grid(scan_of(torch::rand({3, 4, 5}), far), run, InputKind::automatic, "far.nii.gz");
  const auto lines = sink->last_formatted();
  spdlog::default_logger()->sinks().pop_back();
  EXPECT_EQ(after_near, 0u);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("far.nii.gz"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("10x"), std::string::npos) << lines[0];
}

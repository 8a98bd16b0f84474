#pragma once
// How a trained run segments one image, defined once for `infer`, `evaluate` and `experiment`: the sliding-window
// predictor with the run's patch and overlap, inference seeds tied to (seed, case index) so every process draws
// the same noise for a case, the seed ensemble (each seed's last-step class probabilities averaged), the run's
// post-processing of every label map, and the uncertainty map.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

#include "diffseg/diffusion/sampler.h"
#include "diffseg/eval/trained_run.h"
#include "diffseg/io/geometry.h"
#include "diffseg/train/predictor.h"

namespace diffseg::eval {

struct InferenceOptions {
  diffusion::SamplerOptions sampler;  // kind, steps, eta; the run's time input is kept
  int64_t seeds = 1;                  // diffusion runs only; a supervised network is deterministic
  std::vector<int64_t> overlap;       // sliding-window overlap (tensor order); empty = the run's data.overlap
};

// The predictor's options for this run and request.
train::PredictOptions predict_options(const TrainedRun& run, const InferenceOptions& options);
// Seeds and sampling steps actually used: 1 and 1 for a supervised run.
int64_t seeds_of(const TrainedRun& run, const InferenceOptions& options);
int64_t steps_of(const TrainedRun& run, const InferenceOptions& options);


struct CasePrediction {
  at::Tensor first_seed;          // (steps, K, *spatial) log-probabilities of seed 0: every step's segmentation
  at::Tensor mean_probabilities;  // (K, *spatial) last-step class probabilities averaged over the seeds
};

// image: (C, *spatial) on the run's device. `each_seed`, when given, is called with every seed's (steps, K,
// *spatial) log-probabilities (evaluation scores each seed). Results are on the CPU.
using SeedCallback = std::function<void(int64_t seed, const at::Tensor& log_probabilities)>;
CasePrediction predict_case(TrainedRun& run, const at::Tensor& image, size_t case_index,
                            const InferenceOptions& options, const SeedCallback& each_seed = {});

// The label map that is written and scored: argmax over classes of scores (K, *spatial), then the run's
// post-processing. int32 (*spatial) on the CPU.
at::Tensor final_labels(const at::Tensor& scores, const TrainedRun& run);

// Predictive entropy of class probabilities (K, *spatial) divided by log K, so 0 means every seed agrees with
// certainty and 1 a uniform distribution, whatever the number of classes. float32 (*spatial).
at::Tensor normalised_entropy(const at::Tensor& probabilities);

// The files a prediction becomes — the same for `infer` and `evaluate --save-predictions`: the final label map of
// class probabilities (K, *spatial) as uint8 in the image's format (by extension), and their uncertainty map
// (normalised_entropy) as float32.
void write_label_map(const std::filesystem::path& path, const at::Tensor& probabilities, const TrainedRun& run,
                     int spatial_dims, const io::Geometry& geometry);
void write_uncertainty_map(const std::filesystem::path& path, const at::Tensor& probabilities, int spatial_dims,
                           const io::Geometry& geometry);

}  // namespace diffseg::eval

#include "diffseg/eval/inference.h"

#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "diffseg/core/seed.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/io/image_file.h"

namespace diffseg::eval {

train::PredictOptions predict_options(const TrainedRun& run, const InferenceOptions& o) {
  train::PredictOptions po;
  po.sampler = o.sampler;
  po.sampler.time_input = run.options.sampler.time_input;
  po.sampler.eta = run.options.sampler.eta;  // the run's eval.eta (DDIM), as its validation used
  po.patch = run.options.patch;
  po.overlap = o.overlap.empty() ? run.options.overlap : o.overlap;
  return po;
}

int64_t seeds_of(const TrainedRun& run, const InferenceOptions& o) {
  return run.strategy->is_diffusion() ? std::max<int64_t>(1, o.seeds) : 1;
}

int64_t steps_of(const TrainedRun& run, const InferenceOptions& o) {
  return run.strategy->is_diffusion() ? o.sampler.steps : 1;
}


CasePrediction predict_case(TrainedRun& run, const at::Tensor& image, size_t case_index, const InferenceOptions& o,
                            const SeedCallback& each_seed) {
  const train::PredictOptions po = predict_options(run, o);
  const int64_t seeds = seeds_of(run, o);
  CasePrediction out;
  for (int64_t s = 0; s < seeds; ++s) {
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(case_seed(static_cast<uint64_t>(s), case_index));
    const at::Tensor logp = train::predict_log_probabilities(run.net, *run.strategy, *run.diffusion, image, po, g);
    if (each_seed) each_seed(s, logp);
    const at::Tensor p = torch::softmax(logp[logp.size(0) - 1], 0).to(torch::kCPU, torch::kFloat);
    out.mean_probabilities = s == 0 ? p : out.mean_probabilities + p;
    if (s == 0) out.first_seed = logp.to(torch::kCPU);
  }
  out.mean_probabilities /= static_cast<double>(seeds);
  return out;
}

at::Tensor final_labels(const at::Tensor& scores, const TrainedRun& run) {
  at::Tensor l = scores.argmax(0).to(torch::kCPU, torch::kInt).contiguous();
  if (run.postprocess == metrics::PostProcess::none) return l;
  std::vector<int32_t> values = data::to_label_vector(l);
  const int dims = static_cast<int>(l.dim());
  metrics::postprocess_labels(values, l.size(dims - 1), dims >= 2 ? l.size(dims - 2) : 1, dims,
                              static_cast<int>(run.num_classes), run.postprocess);
  return torch::from_blob(values.data(), l.sizes(), torch::kInt).clone();
}

at::Tensor normalised_entropy(const at::Tensor& p) {
  const double log_k = std::log(static_cast<double>(std::max<int64_t>(2, p.size(0))));
  return (-(p * p.clamp_min(1e-12).log()).sum(0) / log_k).to(torch::kFloat);
}

void write_label_map(const std::filesystem::path& path, const at::Tensor& probabilities, const TrainedRun& run,
                     int spatial_dims, const io::Geometry& geometry) {
  io::write_image(path, data::to_image(final_labels(probabilities, run).to(torch::kByte), spatial_dims, geometry));
}

void write_uncertainty_map(const std::filesystem::path& path, const at::Tensor& probabilities, int spatial_dims,
                           const io::Geometry& geometry) {
  io::write_image(path, data::to_image(normalised_entropy(probabilities), spatial_dims, geometry));
}

}  // namespace diffseg::eval

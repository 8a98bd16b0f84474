// Cross-check against an independent NumPy implementation of the same equations (numpy_reference.py).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "diffseg/diffusion/sampler.h"
#include "test_util.h"

using namespace diffseg::diffusion;
using nlohmann::json;

namespace {

json run_reference() {
  std::string out;
  const int rc = diffseg::test::run_command(std::string(diffseg::test::debian_python()) + " " +
                                                DIFFSEG_TEST_SOURCE_DIR + "/diffusion/numpy_reference.py",
                                            &out);
  EXPECT_EQ(rc, 0) << "numpy reference failed; is python3-numpy installed (scripts/setup.sh)?";
  return json::parse(out);
}

const json& reference() {
  static const json ref = run_reference();
  return ref;
}

at::Tensor tensor(const json& values, const std::vector<int64_t>& shape) {
  return torch::tensor(values.get<std::vector<double>>(), torch::kDouble).view(shape);
}

void expect_close(const std::vector<double>& mine, const json& ref, double rtol, const std::string& what) {
  const auto r = ref.get<std::vector<double>>();
  ASSERT_EQ(mine.size(), r.size()) << what;
  for (size_t i = 0; i < r.size(); ++i)
    ASSERT_NEAR(mine[i], r[i], rtol * std::abs(r[i]) + 1e-15) << what << " [" << i << "]";
}

}  // namespace

TEST(NumpyReference, SchedulesAndDerivedArrays) {
  for (const auto& [name, ref] : reference().at("schedules").items()) {
    ScheduleOptions o;
    o.name = parse_beta_schedule(name);
    const GaussianDiffusion d = GaussianDiffusion::from_schedule(o);
    expect_close(d.betas(), ref.at("beta"), 1e-12, name + " beta");
    expect_close(d.alphas_cumprod(), ref.at("abar"), 1e-10, name + " abar");
    expect_close(d.posterior_variance(), ref.at("post_var"), 1e-10, name + " posterior variance");
  }
  const GaussianDiffusion five = GaussianDiffusion::from_schedule({}).respaced(inference_indices(1001, 5));
  const json& r5 = reference().at("respaced5");
  expect_close(five.betas(), r5.at("beta"), 1e-10, "respaced beta");
  expect_close(five.alphas_cumprod(), r5.at("abar"), 1e-10, "respaced abar");
  expect_close(five.posterior_variance(), r5.at("post_var"), 1e-10, "respaced posterior variance");
}

TEST(NumpyReference, ShorterTrainingChainsAreRespaced) {
  ASSERT_FALSE(reference().at("training_chains").empty());
  for (const auto& [key, ref] : reference().at("training_chains").items()) {
    ScheduleOptions o;
    o.name = parse_beta_schedule(key.substr(0, key.find('/')));
    o.num_timesteps = std::stoll(key.substr(key.find('/') + 1));
    const GaussianDiffusion d = GaussianDiffusion::from_schedule(o);
    expect_close(d.betas(), ref.at("beta"), 1e-10, key + " beta");
    expect_close(d.alphas_cumprod(), ref.at("abar"), 1e-10, key + " abar");
    expect_close(d.posterior_variance(), ref.at("post_var"), 1e-10, key + " posterior variance");
    const at::Tensor time = d.model_time(torch::arange(o.num_timesteps, torch::kLong)).to(torch::kDouble);
    expect_close(std::vector<double>(time.data_ptr<double>(), time.data_ptr<double>() + time.numel()), ref.at("time"),
                 1e-7, key + " network time");
  }
}

TEST(NumpyReference, QSampleAndReverseUpdates) {
  const json& in = reference().at("inputs");
  const auto shape = in.at("shape").get<std::vector<int64_t>>();
  const at::Tensor x0 = tensor(in.at("x0"), shape), eps = tensor(in.at("eps"), shape), z = tensor(in.at("z"), shape),
                   logits = tensor(in.at("logits"), shape);

  const GaussianDiffusion d = GaussianDiffusion::from_schedule({});
  const json& q = reference().at("q_sample");
  const at::Tensor t = torch::tensor(q.at("t").get<std::vector<int64_t>>(), torch::kLong);
  EXPECT_TRUE(torch::allclose(d.q_sample(x0, t, eps), tensor(q.at("x_t"), shape), 1e-12, 1e-12));

  const json& r = reference().at("reverse");
  const int64_t k = r.at("k").get<int64_t>();
  const at::Tensor xk_ref = tensor(r.at("x_k"), shape);
  for (VarianceType v : {VarianceType::fixed_small, VarianceType::fixed_large}) {
    const GaussianDiffusion chain =
        GaussianDiffusion::from_schedule({}, ModelOutput::x_start, v).respaced(inference_indices(1001, 5));
    const at::Tensor kk = torch::full({shape[0]}, k, torch::kLong);
    const at::Tensor xk = chain.q_sample(x0, kk, eps);
    ASSERT_TRUE(torch::allclose(xk, xk_ref, 1e-12, 1e-12));
    const at::Tensor x0_hat = chain.predict_x0(logits, xk, kk);
    const char* key = v == VarianceType::fixed_small ? "ddpm_fixed_small" : "ddpm_fixed_large";
    EXPECT_TRUE(torch::allclose(reverse_step(chain, SamplerKind::ddpm, 0.0, xk, x0_hat, k, z), tensor(r.at(key), shape),
                                1e-10, 1e-12))
        << key;
    EXPECT_TRUE(torch::allclose(reverse_step(chain, SamplerKind::ddim, 0.0, xk, x0_hat, k, z),
                                tensor(r.at("ddim_eta0"), shape), 1e-10, 1e-12));
    EXPECT_TRUE(torch::allclose(reverse_step(chain, SamplerKind::ddim, 0.7, xk, x0_hat, k, z),
                                tensor(r.at("ddim_eta07"), shape), 1e-10, 1e-12));
  }
}

// Bernoulli (categorical) mask diffusion (docs/method.md, Bernoulli mask diffusion), checked against references the
// test computes on its own: the one-step kernels q(x_j | x_{j-1}) = (1 - beta_j) I + beta_j 1 u^T as K x K matrices
// (float64), their products for the marginals and (t | s) kernels, and Bayes' rule by enumerating x_s for the
// posterior. Nothing here uses the closed forms the code uses.
#include "diffseg/diffusion/bernoulli_diffusion.h"

#include <cmath>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/diffusion/mask_space.h"
#include "test_util.h"

using namespace diffseg::diffusion;

namespace bernoulli_test {

using bd_Matrix = std::vector<std::vector<double>>;  // row = from, column = to

at::Generator bd_seeded(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

std::vector<double> bd_uniform(int64_t k) { return std::vector<double>(static_cast<size_t>(k), 1.0 / k); }

bd_Matrix bd_identity(size_t k) {
  bd_Matrix m(k, std::vector<double>(k, 0.0));
  for (size_t i = 0; i < k; ++i) m[i][i] = 1.0;
  return m;
}

// q(x_j = to | x_{j-1} = from): keep the class with probability 1 - beta, otherwise draw it from u.
bd_Matrix bd_kernel(double beta, const std::vector<double>& u) {
  bd_Matrix m(u.size(), std::vector<double>(u.size(), 0.0));
  for (size_t i = 0; i < u.size(); ++i)
    for (size_t j = 0; j < u.size(); ++j) m[i][j] = (i == j ? 1.0 - beta : 0.0) + beta * u[j];
  return m;
}

bd_Matrix bd_multiply(const bd_Matrix& a, const bd_Matrix& b) {
  bd_Matrix m(a.size(), std::vector<double>(b[0].size(), 0.0));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t k = 0; k < b.size(); ++k)
      for (size_t j = 0; j < b[0].size(); ++j) m[i][j] += a[i][k] * b[k][j];
  return m;
}

// q(x_to | x_from) for chain indices from < to: the kernels from + 1, ..., to composed (from = -1: the clean data).
bd_Matrix bd_composed(const std::vector<double>& betas, int64_t from, int64_t to, const std::vector<double>& u) {
  bd_Matrix m = bd_identity(u.size());
  for (int64_t j = from + 1; j <= to; ++j) m = bd_multiply(m, bd_kernel(betas[static_cast<size_t>(j)], u));
  return m;
}

// q(x_s | x_t = j, x_0 ~ x0) ∝ Σ_c x0_c q(x_t = j | x_s) q(x_s | x_0 = c), by enumeration of x_s.
std::vector<double> bd_bayes(const std::vector<double>& betas, int64_t t, int64_t s, size_t j,
                          const std::vector<double>& x0, const std::vector<double>& u) {
  const bd_Matrix ts = bd_composed(betas, s, t, u), s0 = bd_composed(betas, -1, s, u);
  std::vector<double> p(u.size(), 0.0);
  double total = 0;
  for (size_t i = 0; i < u.size(); ++i) {
    for (size_t c = 0; c < u.size(); ++c) p[i] += x0[c] * ts[i][j] * s0[c][i];
    total += p[i];
  }
  for (double& v : p) v /= total;
  return p;
}

at::Tensor bd_onehot_row(size_t k, size_t c) {
  at::Tensor r = torch::zeros({static_cast<int64_t>(k)}, torch::kDouble);
  r[static_cast<int64_t>(c)] = 1.0;
  return r;
}

// An 8-point chain with large, uneven betas, so every term of the posterior matters.
const std::vector<double> bd_kChain = {0.05, 0.1, 0.2, 0.3, 0.15, 0.4, 0.25, 0.5};

}  // namespace bernoulli_test

using namespace bernoulli_test;

TEST(BernoulliDiffusion, MarginalsMatchClosedFormAndComposedKernels) {
  ScheduleOptions schedule;  // the 1001-point linear schedule
  const std::vector<double> betas = make_betas(schedule);
  for (const std::vector<double>& u :
       {bd_uniform(2), bd_uniform(4), std::vector<double>{0.4, 0.3, 0.2, 0.1}}) {
    const int64_t k = static_cast<int64_t>(u.size());
    const BernoulliDiffusion d(betas, u.size() == 4 && u[0] != 0.25 ? u : std::vector<double>{});
    for (const int64_t t : {0, 1, 100, 250, 600, 1000}) {
      double abar = 1.0;
      for (int64_t j = 0; j <= t; ++j) abar *= 1.0 - betas[static_cast<size_t>(j)];
      const bd_Matrix m = bd_composed(betas, -1, t, u);
      // Every class as x0, in one batch (K, K).
      const at::Tensor x0 = torch::eye(k, torch::kDouble);
      const at::Tensor q = d.q_probabilities(x0, torch::full({k}, t, torch::kLong));
      for (int64_t c = 0; c < k; ++c)
        for (int64_t j = 0; j < k; ++j) {
          const double closed = abar * (c == j) + (1.0 - abar) * u[static_cast<size_t>(j)];
          EXPECT_NEAR(q[c][j].item<double>(), closed, 1e-12) << "K " << k << " t " << t;
          EXPECT_NEAR(q[c][j].item<double>(), m[static_cast<size_t>(c)][static_cast<size_t>(j)], 1e-10)
              << "K " << k << " t " << t;
        }
    }
  }
}

TEST(BernoulliDiffusion, PosteriorIsBayesRuleByEnumeration) {
  for (const std::vector<double>& u : {bd_uniform(3), std::vector<double>{0.5, 0.3, 0.2}}) {
    const BernoulliDiffusion d(bd_kChain, u[0] == u[1] ? std::vector<double>{} : u);
    for (const auto& [t, s] : std::vector<std::pair<int64_t, int64_t>>{
             {1, 0}, {3, 1}, {5, 2}, {7, 6}, {7, 0}, {4, -1}, {0, -1}, {7, -1}, {6, 3}}) {
      // Every (x_t, x_0) pair of classes in one batch (9, 3).
      std::vector<at::Tensor> xt, x0;
      for (size_t j = 0; j < 3; ++j)
        for (size_t c = 0; c < 3; ++c) {
          xt.push_back(bd_onehot_row(3, j));
          x0.push_back(bd_onehot_row(3, c));
        }
      const at::Tensor p = d.posterior(torch::stack(xt), torch::stack(x0), t, s);
      for (size_t j = 0; j < 3; ++j)
        for (size_t c = 0; c < 3; ++c) {
          std::vector<double> x0v(3, 0.0);
          x0v[c] = 1.0;
          const std::vector<double> ref = bd_bayes(bd_kChain, t, s, j, x0v, u);
          for (size_t i = 0; i < 3; ++i)
            EXPECT_NEAR(p[static_cast<int64_t>(3 * j + c)][static_cast<int64_t>(i)].item<double>(), ref[i], 1e-12)
                << "t " << t << " s " << s << " x_t " << j << " x0 " << c << " x_s " << i;
        }
    }
  }
}

// x̂0 probabilities plugged into the posterior give Σ_c x̂0_c q(x_s, x_t | x_0 = c), normalised (the reverse step).
TEST(BernoulliDiffusion, PluggedInProbabilitiesAreTheMixtureOfJoints) {
  const std::vector<double> u = bd_uniform(3);
  const BernoulliDiffusion d(bd_kChain);
  const std::vector<double> x0v = {0.2, 0.5, 0.3};
  const at::Tensor x0 = torch::tensor(x0v, torch::kDouble).view({1, 3});
  for (const auto& [t, s] : std::vector<std::pair<int64_t, int64_t>>{{2, 1}, {7, 3}, {5, -1}})
    for (size_t j = 0; j < 3; ++j) {
      const at::Tensor p = d.posterior(bd_onehot_row(3, j).view({1, 3}), x0, t, s);
      const std::vector<double> ref = bd_bayes(bd_kChain, t, s, j, x0v, u);
      for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(p[0][static_cast<int64_t>(i)].item<double>(), ref[i], 1e-12);
    }
}

// A respaced chain's one-step posterior is the jump posterior of the original chain (both against enumeration).
TEST(BernoulliDiffusion, RespacedStepIsTheJumpPosterior) {
  const std::vector<double> u = {0.5, 0.3, 0.2};
  const BernoulliDiffusion d(bd_kChain, u);
  const std::vector<int64_t> kept = {1, 4, 7};
  const BernoulliDiffusion r = d.respaced(kept);
  ASSERT_EQ(r.num_timesteps(), 3);
  EXPECT_EQ(r.training_indices(), kept);
  for (int64_t k = 0; k < 3; ++k) {
    const int64_t t = kept[static_cast<size_t>(k)], s = k == 0 ? -1 : kept[static_cast<size_t>(k - 1)];
    for (size_t j = 0; j < 3; ++j)
      for (size_t c = 0; c < 3; ++c) {
        const at::Tensor p = r.posterior(bd_onehot_row(3, j).view({1, 3}), bd_onehot_row(3, c).view({1, 3}), k, k - 1);
        std::vector<double> x0v(3, 0.0);
        x0v[c] = 1.0;
        const std::vector<double> ref = bd_bayes(bd_kChain, t, s, j, x0v, u);
        for (size_t i = 0; i < 3; ++i)
          EXPECT_NEAR(p[0][static_cast<int64_t>(i)].item<double>(), ref[i], 1e-12) << "step " << k;
      }
  }
}

TEST(BernoulliDiffusion, PosteriorRowsSumToOne) {
  const BernoulliDiffusion d = BernoulliDiffusion::from_schedule({});
  at::Generator g = bd_seeded(11);
  const at::Tensor x0 = torch::softmax(torch::randn({2, 4, 5, 3}, g, torch::kFloat) * 3, 1);
  const at::Tensor x_t = BernoulliDiffusion::sample_categorical(torch::full({2, 4, 5, 3}, 0.25),
                                                                torch::randn({2, 4, 5, 3}, g, torch::kFloat));
  EXPECT_TRUE(torch::equal(x_t.sum(1), torch::ones({2, 5, 3})));
  for (const auto& [t, s] : std::vector<std::pair<int64_t, int64_t>>{{1000, 750}, {500, 499}, {250, 0}, {0, -1}}) {
    const at::Tensor p = d.posterior(x_t, x0, t, s);
    EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({2, 5, 3}), 0, 1e-6)) << t << " → " << s;
    EXPECT_GE(p.min().item<float>(), 0.0f);
  }
  EXPECT_THROW(d.posterior(x_t, x0, 3, 3), diffseg::UsageError);
  EXPECT_THROW(d.posterior(x_t, x0, 1001, 0), diffseg::UsageError);
}

// Many seeded draws of x_t ~ q(x_t | x_0): per true class, a chi-square statistic of the drawn classes against the
// closed-form marginal (3 degrees of freedom per row; 12 in all, so a correct sampler gives about 12).
TEST(BernoulliDiffusion, SampledFrequenciesMatchTheMarginal) {
  const std::vector<double> u = {0.4, 0.3, 0.2, 0.1};
  const BernoulliDiffusion d(make_betas({}), u);
  const int64_t n = 40000;  // voxels per true class
  const at::Tensor labels = torch::arange(4 * n, torch::kLong).remainder(4).view({1, 4 * n});
  const at::Tensor x0 = torch::one_hot(labels, 4).movedim(-1, 1).to(torch::kFloat);  // (1, 4, 4n)
  for (const int64_t t : {100, 250, 400}) {
    const at::Tensor tt = torch::full({1}, t, torch::kLong);
    const at::Tensor x = d.q_sample(x0, tt, torch::randn(x0.sizes(), bd_seeded(static_cast<uint64_t>(t)), torch::kFloat));
    ASSERT_TRUE(torch::equal(x.sum(1), torch::ones({1, 4 * n})));
    const at::Tensor drawn = x.argmax(1)[0];
    const at::Tensor q = d.q_probabilities(torch::eye(4, torch::kDouble), torch::full({4}, t, torch::kLong));
    double chi2 = 0;
    for (int64_t c = 0; c < 4; ++c) {
      const at::Tensor of_c = drawn.masked_select(labels[0] == c);
      for (int64_t j = 0; j < 4; ++j) {
        const double expected = static_cast<double>(n) * q[c][j].item<double>();
        const double observed = (of_c == j).sum().item<double>();
        chi2 += (observed - expected) * (observed - expected) / expected;
      }
    }
    EXPECT_LT(chi2, 40.0) << "t " << t;  // P(chi2_12 > 40) ≈ 7e-5
  }
  // The same noise gives the same draw.
  const at::Tensor noise = torch::randn(x0.sizes(), bd_seeded(5), torch::kFloat);
  const at::Tensor tt = torch::full({1}, 300, torch::kLong);
  EXPECT_TRUE(torch::equal(d.q_sample(x0, tt, noise), d.q_sample(x0, tt, noise)));
}

TEST(BernoulliDiffusion, ZeroProbabilityClassesAreNeverDrawn) {
  const at::Tensor p = torch::tensor({0.0, 0.7, 0.0, 0.3}, torch::kFloat).view({1, 4, 1}).expand({1, 4, 5000}).contiguous();
  const at::Tensor x = BernoulliDiffusion::sample_categorical(p, torch::randn({1, 4, 5000}, bd_seeded(2)) * 4);
  EXPECT_EQ(x[0][0].sum().item<float>(), 0.0f);
  EXPECT_EQ(x[0][2].sum().item<float>(), 0.0f);
  EXPECT_EQ(x.sum().item<float>(), 5000.0f);
}

// The few-step chain with the true x0 as x̂0 ends at x0 exactly (the last posterior, to the clean data, is x0 ⊙ ...,
// normalised), from one-hot inputs that start as draws from u; the same seed gives the same chain.
TEST(BernoulliDiffusion, ChainWithTrueX0EndsAtX0) {
  for (const int64_t k : {2, 3, 5}) {
    const at::Tensor labels = (torch::arange(60, torch::kLong).view({2, 6, 5}) * 7) % k;
    const at::Tensor x0 = torch::one_hot(labels, k).movedim(-1, 1).to(torch::kFloat).contiguous();
    std::vector<at::Tensor> inputs;
    std::vector<float> times;
    const Denoiser oracle = [&](const at::Tensor& x, const at::Tensor& prev, const at::Tensor& time) {
      EXPECT_FALSE(prev.defined());
      inputs.push_back(x.clone());
      times.push_back(time[0].item<float>());
      return x0.log();  // softmax gives x0 exactly
    };
    const BernoulliDiffusion d = BernoulliDiffusion::from_schedule({});
    SamplerOptions o;
    const SamplingResult r = sample(d, oracle, x0.sizes(), o, bd_seeded(7));
    ASSERT_EQ(r.x0_probabilities.size(), 5u);
    EXPECT_EQ(r.training_indices, (std::vector<int64_t>{1000, 750, 500, 250, 0}));
    EXPECT_NEAR(times.front(), 1.0f, 1e-6);
    EXPECT_NEAR(times.back(), 1.0f / 1001.0f, 1e-6);
    EXPECT_TRUE(torch::equal(r.final_x, x0)) << "K " << k;
    for (const at::Tensor& p : r.x0_probabilities) EXPECT_TRUE(torch::equal(p, x0));
    for (const at::Tensor& x : inputs) {
      EXPECT_TRUE(torch::equal(x.sum(1), torch::ones({2, 6, 5})));
      EXPECT_TRUE(torch::equal(x * (1 - x), torch::zeros_like(x)));  // one-hot {0, 1}
    }
    // x_T ~ u: about (K-1)/K of the voxels differ from x0 (60 voxels; far from all of them agreeing).
    EXPECT_LT((inputs.front() * x0).sum().item<float>(), 45.0f);
    // Same seed, same chain; another seed, another x_T.
    std::vector<at::Tensor> first = inputs;
    inputs.clear();
    sample(d, oracle, x0.sizes(), o, bd_seeded(7));
    for (size_t i = 0; i < first.size(); ++i) EXPECT_TRUE(torch::equal(first[i], inputs[i]));
    inputs.clear();
    sample(d, oracle, x0.sizes(), o, bd_seeded(8));
    EXPECT_FALSE(torch::equal(first.front(), inputs.front()));
  }
}

TEST(BernoulliDiffusion, RefusesDdimAndSelfConditioning) {
  const BernoulliDiffusion d = BernoulliDiffusion::from_schedule({});
  const Denoiser net = [](const at::Tensor& x, const at::Tensor&, const at::Tensor&) { return x; };
  SamplerOptions o;
  o.kind = SamplerKind::ddim;
  EXPECT_THROW(sample(d, net, {1, 2, 4, 4}, o, bd_seeded(0)), diffseg::UsageError);
  o.kind = SamplerKind::ddpm;
  o.self_conditioning = true;
  EXPECT_THROW(sample(d, net, {1, 2, 4, 4}, o, bd_seeded(0)), diffseg::UsageError);
  EXPECT_THROW(BernoulliDiffusion(bd_kChain, {0.5, 0.0, 0.5}), diffseg::UsageError);
  EXPECT_THROW(BernoulliDiffusion(bd_kChain, {0.5, 0.5}).stationary(3, 2, torch::kFloat, torch::kCPU), diffseg::UsageError);
}

// from_chain shares the Gaussian chain's schedule, training-grid indices and network times.
TEST(BernoulliDiffusion, FromChainSharesTheGaussianChain) {
  const GaussianDiffusion g = GaussianDiffusion::from_schedule({}).respaced(inference_indices(1001, 5));
  const BernoulliDiffusion b = BernoulliDiffusion::from_chain(g);
  EXPECT_EQ(b.betas(), g.betas());
  EXPECT_EQ(b.training_indices(), g.training_indices());
  for (size_t i = 0; i < g.alphas_cumprod().size(); ++i) EXPECT_NEAR(b.alphas_cumprod()[i], g.alphas_cumprod()[i], 1e-15);
  const at::Tensor t = torch::arange(5, torch::kLong);
  EXPECT_TRUE(torch::equal(b.model_time(t), g.model_time(t)));
}

// A run's chain carries its noise family (ScheduleOptions::noise): diffusion::sample runs the categorical sampler for
// a Bernoulli chain, respacing and to() keep the family, and the Gaussian process refuses to run on it.
TEST(BernoulliDiffusion, ChainCarriesTheNoiseFamily) {
  ScheduleOptions s;
  EXPECT_EQ(s.noise, NoiseFamily::gaussian);
  EXPECT_EQ(parse_noise_family("bernoulli"), NoiseFamily::bernoulli);
  EXPECT_EQ(parse_noise_family("gaussian"), NoiseFamily::gaussian);
  EXPECT_THROW(parse_noise_family("poisson"), diffseg::UsageError);
  s.noise = NoiseFamily::bernoulli;
  const GaussianDiffusion chain = GaussianDiffusion::from_schedule(s);
  EXPECT_EQ(chain.noise(), NoiseFamily::bernoulli);
  EXPECT_EQ(chain.respaced({0, 500, 1000}).noise(), NoiseFamily::bernoulli);
  EXPECT_EQ(chain.to(torch::kCPU).noise(), NoiseFamily::bernoulli);
  const at::Tensor labels = (torch::arange(60, torch::kLong).view({2, 6, 5}) * 7) % 3;
  const at::Tensor x0 = torch::one_hot(labels, 3).movedim(-1, 1).to(torch::kFloat).contiguous();
  const at::Tensor t = torch::zeros({2}, torch::kLong);
  EXPECT_THROW(chain.q_sample(x0, t, torch::randn_like(x0)), std::logic_error);
  EXPECT_THROW(chain.posterior(x0, x0, t), std::logic_error);
  std::vector<at::Tensor> inputs;
  const Denoiser oracle = [&](const at::Tensor& x, const at::Tensor&, const at::Tensor&) {
    inputs.push_back(x.clone());
    return x0.log();
  };
  SamplerOptions o;
  const SamplingResult r = sample(chain, oracle, x0.sizes(), o, bd_seeded(3));
  EXPECT_TRUE(torch::equal(r.final_x, x0));
  ASSERT_EQ(inputs.size(), 5u);
  for (const at::Tensor& x : inputs) EXPECT_TRUE(torch::equal(x * (1 - x), torch::zeros_like(x)));  // one-hot inputs
  // The same draws as the categorical sampler called directly.
  std::vector<at::Tensor> direct = inputs;
  inputs.clear();
  sample(BernoulliDiffusion::from_chain(chain), oracle, x0.sizes(), o, bd_seeded(3));
  for (size_t i = 0; i < direct.size(); ++i) EXPECT_TRUE(torch::equal(direct[i], inputs[i]));
  o.kind = SamplerKind::ddim;
  EXPECT_THROW(sample(chain, oracle, x0.sizes(), o, bd_seeded(3)), diffseg::UsageError);
}

// Against an independent NumPy implementation (bernoulli_numpy_reference.py: kernels multiplied out, Bayes' rule):
// the 5-step chain respaced from the 1001-point linear schedule, K = 4, uniform u and a class prior, one-hot and soft
// x0, every x_t class at every step.
TEST(BernoulliDiffusion, MatchesTheNumpyReference) {
  std::string text;
  const int rc = diffseg::test::run_command(std::string(diffseg::test::debian_python()) + " " +
                                                DIFFSEG_TEST_SOURCE_DIR + "/diffusion/bernoulli_numpy_reference.py",
                                            &text);
  ASSERT_EQ(rc, 0) << "bernoulli_numpy_reference.py failed; is python3-numpy installed (scripts/setup.sh)?";
  const nlohmann::json ref = nlohmann::json::parse(text);
  const std::vector<int64_t> kept = ref["kept"].get<std::vector<int64_t>>();
  ASSERT_EQ(kept, inference_indices(1001, 5));
  int64_t checked = 0;
  for (const nlohmann::json& c : ref["cases"]) {
    const std::vector<double> prior = c["prior"].is_null() ? std::vector<double>{} : c["prior"].get<std::vector<double>>();
    const BernoulliDiffusion d(make_betas({}), prior);
    const BernoulliDiffusion r = d.respaced(kept);
    const int64_t k = c["step"].get<int64_t>();
    const at::Tensor x0 = torch::tensor(c["x0"].get<std::vector<double>>(), torch::kDouble).view({1, 4});
    const at::Tensor xt = bd_onehot_row(4, c["x_t"].get<size_t>()).view({1, 4});
    const at::Tensor p = r.posterior(xt, x0, k, k - 1);
    const at::Tensor m = d.q_probabilities(x0, torch::full({1}, c["t"].get<int64_t>(), torch::kLong));
    const std::vector<double> post = c["posterior"].get<std::vector<double>>(), marg = c["marginal_x0"].get<std::vector<double>>();
    for (int64_t i = 0; i < 4; ++i) {
      EXPECT_NEAR(p[0][i].item<double>(), post[static_cast<size_t>(i)], 1e-9) << c.dump();
      EXPECT_NEAR(m[0][i].item<double>(), marg[static_cast<size_t>(i)], 1e-9) << c.dump();
    }
    ++checked;
  }
  EXPECT_EQ(checked, 2 * 5 * 4 * 5);
}

#pragma once
// Variance (beta) schedules (docs/method.md). Torch-free: plain float64 vectors that GaussianDiffusion turns
// into device tensors once.
#include <cstdint>
#include <string>
#include <vector>

namespace diffseg::diffusion {

enum class BetaSchedule {
  linear,            // beta_i = linspace(beta_start, beta_end)
  quadratic,         // beta_i = linspace(sqrt(beta_start), sqrt(beta_end))^2 ("quadradic" in the reference)
  cosine,            // Nichol & Dhariwal: beta_i = min(1 - f(i)/f(i-1), 0.999), f(s) = cos((s/N + 0.008)/1.008 * pi/2)^2
  cosine_reference,  // the reference's variant: beta_0 = 0, beta_i = 1 - f(i/(N-1)), then rescaled to [start, end]
  warmup10,          // first max(N/10, 1) betas quadratic from start to end, the rest constant end
  warmup50,          // same with max(N/2, 1)
};

BetaSchedule parse_beta_schedule(const std::string& name);  // UsageError listing the valid names
std::string to_string(BetaSchedule schedule);

// How masks are noised (docs/method.md): Gaussian noise on x = 2 onehot - 1 (GaussianDiffusion), or flips towards
// the uniform categorical distribution (BernoulliDiffusion, "Bernoulli mask diffusion"). Both use the same schedule.
enum class NoiseFamily { gaussian, bernoulli };
NoiseFamily parse_noise_family(const std::string& name);  // UsageError listing the valid names
std::string to_string(NoiseFamily noise);

struct ScheduleOptions {
  BetaSchedule name = BetaSchedule::linear;
  int64_t num_timesteps = 1001;    // T: points of the training chain
  int64_t schedule_points = 1001;  // N: points of the base beta schedule the chain is taken from
  double beta_start = 1e-4;
  double beta_end = 0.02;
  // Carried with the chain (GaussianDiffusion::noise()) so that strategies, samplers and the one-step prediction all
  // know which process the run trained with; the betas do not depend on it.
  NoiseFamily noise = NoiseFamily::gaussian;
};

// Betas of the training chain. T = N: the named schedule itself. T < N: the chain respaced from the N-point
// schedule (the paper-era setting, 5 of 1001): it keeps abar at inference_indices(N, T) and recomputes
// beta'_k = 1 - abar'_k / abar'_{k-1}; the chain is then the training grid (the network is told (k + 1) / T).
// T > N is refused: a longer chain than its schedule has no meaning, and silently building a different
// schedule is what this function exists to prevent.
std::vector<double> make_betas(const ScheduleOptions& options);

// The training-grid indices an inference chain of `steps` visits, in increasing order: round(linspace(0, N-1, steps)).
// For steps - 1 dividing N - 1 this is the reference's abar[0::step] (5 of 1001 → 0, 250, 500, 750, 1000); a single
// step uses the noisiest index N-1 alone.
std::vector<int64_t> inference_indices(int64_t num_timesteps, int64_t steps);

}  // namespace diffseg::diffusion

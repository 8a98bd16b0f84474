#include "diffseg/diffusion/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "diffseg/core/error.h"

namespace diffseg::diffusion {

BetaSchedule parse_beta_schedule(const std::string& name) {
  if (name == "linear") return BetaSchedule::linear;
  if (name == "quadratic" || name == "quadradic") return BetaSchedule::quadratic;
  if (name == "cosine") return BetaSchedule::cosine;
  if (name == "cosine_reference") return BetaSchedule::cosine_reference;
  if (name == "warmup10") return BetaSchedule::warmup10;
  if (name == "warmup50") return BetaSchedule::warmup50;
  throw UsageError("unknown beta schedule '" + name +
                   "' (use linear, quadratic, cosine, cosine_reference, warmup10 or warmup50)");
}

std::string to_string(BetaSchedule s) {
  switch (s) {
    case BetaSchedule::linear: return "linear";
    case BetaSchedule::quadratic: return "quadratic";
    case BetaSchedule::cosine: return "cosine";
    case BetaSchedule::cosine_reference: return "cosine_reference";
    case BetaSchedule::warmup10: return "warmup10";
    case BetaSchedule::warmup50: return "warmup50";
  }
  return "?";
}

namespace {
std::vector<double> linspace(double a, double b, int64_t n) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = n == 1 ? a : a + (b - a) * static_cast<double>(i) / static_cast<double>(n - 1);
  return v;
}
double cosine_f(double s) {
  const double c = std::cos((s + 0.008) / 1.008 * std::numbers::pi / 2);
  return c * c;
}

std::vector<double> base_betas(const ScheduleOptions& o) {
  const int64_t n = o.schedule_points;
  if (n < 2) throw UsageError("a schedule needs at least 2 points (diffusion.schedule_points)");
  if (!(o.beta_start > 0 && o.beta_start < o.beta_end && o.beta_end < 1))
    throw UsageError("need 0 < beta_start < beta_end < 1");
  std::vector<double> beta;
  switch (o.name) {
    case BetaSchedule::linear:
      beta = linspace(o.beta_start, o.beta_end, n);
      break;
    case BetaSchedule::quadratic:
      beta = linspace(std::sqrt(o.beta_start), std::sqrt(o.beta_end), n);
      for (double& b : beta) b *= b;
      break;
    case BetaSchedule::cosine:
      // Improved DDPM eq. 17 with T = N: abar(t) = f(t/T)/f(0), beta_t = 1 - abar(t)/abar(t-1), capped at 0.999.
      beta.resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i + 1) / static_cast<double>(n);
        const double t_prev = static_cast<double>(i) / static_cast<double>(n);
        beta[i] = std::min(1.0 - cosine_f(t) / cosine_f(t_prev), 0.999);
      }
      break;
    case BetaSchedule::cosine_reference:
      // method.md, Variance schedules: the reference never updates its "prev" (stays 1), then rescales affinely.
      beta.assign(static_cast<size_t>(n), 0.0);
      for (int64_t i = 1; i < n; ++i) beta[i] = 1.0 - cosine_f(static_cast<double>(i) / static_cast<double>(n - 1));
      for (double& b : beta) b = b * (o.beta_end - o.beta_start) + o.beta_start;
      break;
    case BetaSchedule::warmup10:
    case BetaSchedule::warmup50: {
      const int64_t warm = std::max<int64_t>(o.name == BetaSchedule::warmup10 ? n / 10 : n / 2, 1);
      beta.assign(static_cast<size_t>(n), o.beta_end);
      auto ramp = linspace(std::sqrt(o.beta_start), std::sqrt(o.beta_end), warm);
      for (int64_t i = 0; i < warm; ++i) beta[i] = ramp[i] * ramp[i];
      break;
    }
  }
  return beta;
}

}  // namespace

NoiseFamily parse_noise_family(const std::string& name) {
  if (name == "gaussian") return NoiseFamily::gaussian;
  if (name == "bernoulli" || name == "categorical") return NoiseFamily::bernoulli;
  throw UsageError("unknown diffusion noise '" + name + "' (use gaussian or bernoulli)");
}

std::string to_string(NoiseFamily noise) { return noise == NoiseFamily::gaussian ? "gaussian" : "bernoulli"; }

std::vector<double> make_betas(const ScheduleOptions& o) {
  std::vector<double> beta = base_betas(o);
  const int64_t T = o.num_timesteps, N = o.schedule_points;
  if (T == N) return beta;
  if (T < 2 || T > N)
    throw UsageError("diffusion.num_timesteps (the training chain) must be between 2 and diffusion.schedule_points = " +
                     std::to_string(N) + ", got " + std::to_string(T) +
                     " (a shorter chain is respaced from the schedule; set schedule_points for a different schedule)");
  std::vector<double> abar(beta.size());
  double running = 1.0;
  for (size_t i = 0; i < beta.size(); ++i) abar[i] = running *= 1.0 - beta[i];
  std::vector<double> chain;
  double prev = 1.0;
  for (const int64_t i : inference_indices(N, T)) {
    chain.push_back(1.0 - abar[static_cast<size_t>(i)] / prev);
    prev = abar[static_cast<size_t>(i)];
  }
  return chain;
}

std::vector<int64_t> inference_indices(int64_t num_timesteps, int64_t steps) {
  if (steps < 1 || steps > num_timesteps)
    throw UsageError("inference steps must be between 1 and the " + std::to_string(num_timesteps) +
                     " training timesteps, got " + std::to_string(steps));
  if (steps == 1) return {num_timesteps - 1};
  std::vector<int64_t> idx(static_cast<size_t>(steps));
  for (int64_t k = 0; k < steps; ++k)
    idx[k] = static_cast<int64_t>(std::llround(static_cast<double>(k) * static_cast<double>(num_timesteps - 1) /
                                               static_cast<double>(steps - 1)));
  return idx;
}

}  // namespace diffseg::diffusion

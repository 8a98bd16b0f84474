// diffseg schedule — prints a noise schedule (and optionally its respaced inference chain) as a table or CSV.
#include <cmath>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "diffseg/diffusion/gaussian_diffusion.h"

namespace diffseg::cli {
namespace {

struct ScheduleCmdOptions {
  std::string name = "linear";
  int64_t steps = 1001;
  int64_t schedule_points = 1001;
  int64_t inference_steps = 0;
  double beta_start = 1e-4, beta_end = 0.02;
  bool csv = false;
};

int run_schedule(const ScheduleCmdOptions& o) {
  diffusion::ScheduleOptions s;
  s.name = diffusion::parse_beta_schedule(o.name);
  s.num_timesteps = o.steps;
  s.schedule_points = o.schedule_points;
  s.beta_start = o.beta_start;
  s.beta_end = o.beta_end;
  diffusion::GaussianDiffusion d = diffusion::GaussianDiffusion::from_schedule(s);
  if (o.inference_steps > 0) d = d.respaced(diffusion::inference_indices(d.num_timesteps(), o.inference_steps));
  const char* header = o.csv ? "t,train_index,beta,alpha_bar,sqrt_alpha_bar,posterior_variance,network_time\n"
                             : "    t  train_t          beta     alpha_bar  sqrt(abar)   post. var   net time\n";
  std::fputs(header, stdout);
  for (int64_t t = 0; t < d.num_timesteps(); ++t) {
    const size_t i = static_cast<size_t>(t);
    const int64_t ti = d.training_indices()[i];
    const double time = static_cast<double>(ti + 1) / static_cast<double>(d.training_timesteps());
    std::printf(o.csv ? "%lld,%lld,%.10g,%.10g,%.10g,%.10g,%.10g\n" : "%5lld  %7lld  %12.6g  %12.6g  %10.6g  %10.6g  %9.6g\n",
                static_cast<long long>(t), static_cast<long long>(ti), d.betas()[i], d.alphas_cumprod()[i],
                std::sqrt(d.alphas_cumprod()[i]), d.posterior_variance()[i], time);
  }
  return 0;
}

}  // namespace

void add_schedule_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<ScheduleCmdOptions>();
  CLI::App* cmd = app.add_subcommand("schedule", "Print a diffusion noise schedule: t, beta, alpha_bar, ...");
  cmd->add_option("--name", o->name, "linear, quadratic, cosine, cosine_reference, warmup10, warmup50")
      ->check(accepted_by([](const std::string& t) { diffusion::parse_beta_schedule(t); }, "SCHEDULE"))
      ->capture_default_str();
  cmd->add_option("--steps", o->steps, "points of the training chain (fewer than --schedule-points: respaced from it)")
      ->check(CLI::Range(int64_t{2}, int64_t{100000}))
      ->capture_default_str();
  cmd->add_option("--schedule-points", o->schedule_points, "points of the base beta schedule")
      ->check(CLI::Range(int64_t{2}, int64_t{100000}))
      ->capture_default_str();
  cmd->add_option("--inference-steps", o->inference_steps, "also respace to this many sampling steps (0 = no)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--beta-start", o->beta_start, "first beta")->capture_default_str();
  cmd->add_option("--beta-end", o->beta_end, "last beta")->capture_default_str();
  cmd->add_flag("--csv", o->csv, "comma-separated output");
  cmd->callback([&run, o] { run = [o] { return run_schedule(*o); }; });
}

}  // namespace diffseg::cli

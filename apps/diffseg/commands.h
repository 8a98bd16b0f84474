#pragma once
// Each subcommand lives in its own file and registers itself here. A command's callback does argument checks and
// calls into the library; its return value becomes the exit code.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace diffseg::cli {

// Options every subcommand shares (registered on the top-level app).
struct GlobalOptions {
  int threads = 0;  // 0 = all cores
  bool verbose = false;
  bool quiet = false;
};

// Registers `name` on app; `run` is set to the chosen command's action.
using Action = std::function<int()>;
void add_info_command(CLI::App& app, Action& run);
void add_synth_command(CLI::App& app, const GlobalOptions& global, Action& run);
void add_schedule_command(CLI::App& app, Action& run);
void add_model_info_command(CLI::App& app, Action& run);
void add_metrics_command(CLI::App& app, const GlobalOptions& global, Action& run);
void add_train_command(CLI::App& app, const GlobalOptions& global, Action& run);
void add_evaluate_command(CLI::App& app, const GlobalOptions& global, Action& run);
void add_diagnose_command(CLI::App& app, const GlobalOptions& global, Action& run);
void add_infer_command(CLI::App& app, const GlobalOptions& global, Action& run);
void add_experiment_command(CLI::App& app, const GlobalOptions& global, Action& run);  // and `report`
void add_demo_command(CLI::App& app, const GlobalOptions& global, Action& run);
// What `experiment` and `demo` both run: the experiment file (train_seeds > 0 and overrides replace or extend the
// file's), then the report. Returns the exit code.
int run_experiment_and_report(const std::string& spec_path, const std::string& out, const std::string& device,
                              int64_t train_seeds, const std::vector<std::string>& overrides,
                              const GlobalOptions& global);
void add_prepare_command(CLI::App& app, const GlobalOptions& global, Action& run);

// Parses "64,64" / "48x48x24" into numbers; UsageError naming the option on bad text or a value out of range
// (sizes and labels positive, overlaps non-negative, spacings positive and finite).
enum class Sign { positive, non_negative };
std::vector<int64_t> parse_int_list(const std::string& text, const std::string& option, Sign sign = Sign::positive);
std::vector<double> parse_double_list(const std::string& text, const std::string& option);

// Range check for numeric options (CLI11 names the option in its message; exit 2). NaN and infinities fail it.
CLI::Validator finite_at_least(double low);

// An enumerated option checked at parse time by the library's own parser (one list of valid names, in the
// library), so CLI11's message names the option: "--hd95: unknown surface aggregate 'foo' (use ...)".
CLI::Validator accepted_by(std::function<void(const std::string&)> parse, const std::string& kind);
// The common ones.
CLI::Validator device_name();   // cpu, cuda, cuda:N
CLI::Validator sampler_name();  // ddpm, ddim

}  // namespace diffseg::cli

// diffseg synth — writes a seeded synthetic dataset (dataset.json + images + labels) for demos and tests.
#include <memory>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "diffseg/core/error.h"
#include "diffseg/core/runtime.h"
#include "diffseg/data/synthetic.h"

namespace diffseg::cli {
namespace {

struct SynthOptions {
  data::SyntheticOptions synth;
  std::string out, size, spacing;
};

int run_synth(SynthOptions& o, const GlobalOptions& global) {
  set_threads(global.threads);
  data::SyntheticOptions& s = o.synth;
  if (!o.size.empty()) {
    const auto v = parse_int_list(o.size, "--size");
    if (static_cast<int>(v.size()) != s.dims)
      throw UsageError("--size needs " + std::to_string(s.dims) + " numbers for --dims " + std::to_string(s.dims));
    for (size_t i = 0; i < v.size(); ++i) s.size[i] = v[i];
  } else if (s.dims == 2) {
    s.size = {64, 64, 1};
  }
  if (!o.spacing.empty()) {
    const auto v = parse_double_list(o.spacing, "--spacing");
    if (v.size() != 3) throw UsageError("--spacing needs 3 numbers (mm)");
    for (size_t i = 0; i < 3; ++i) s.spacing[i] = v[i];
  }
  const io::Dataset d = data::write_synthetic_dataset(o.out, s);
  spdlog::info("wrote {} cases ({} training, {} validation, {} test) with {} classes to {}", s.cases,
               d.training.size(), d.validation.size(), d.test.size(), d.num_classes(), (d.root / "dataset.json").string());
  return 0;
}

}  // namespace

void add_synth_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<SynthOptions>();
  CLI::App* cmd = app.add_subcommand("synth", "Write a seeded synthetic segmentation dataset (2D PNG or 3D NIfTI)");
  cmd->add_option("--out", o->out, "output folder (dataset.json, imagesTr/, labelsTr/)")->required();
  cmd->add_option("--dims", o->synth.dims, "2 or 3")->check(CLI::IsMember({2, 3}))->capture_default_str();
  cmd->add_option("--cases", o->synth.cases, "number of cases")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--classes", o->synth.foreground_classes, "foreground classes (background excluded)")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  cmd->add_option("--size", o->size, "voxels per axis, x,y[,z] (default 64,64 in 2D, 64,64,24 in 3D)");
  cmd->add_option("--spacing", o->spacing, "3D voxel spacing in mm, x,y,z (default 0.9,0.9,2)");
  cmd->add_option("--seed", o->synth.seed, "random seed")->capture_default_str();
  cmd->add_option("--noise", o->synth.noise, "Rician noise sigma on the [0,1] scale")
      ->capture_default_str()
      ->check(finite_at_least(0));
  cmd->add_option("--bias", o->synth.bias, "bias-field strength (log amplitude)")
      ->capture_default_str()
      ->check(finite_at_least(0));
  cmd->callback([&run, o, &global] { run = [o, &global] { return run_synth(*o, global); }; });
}

}  // namespace diffseg::cli

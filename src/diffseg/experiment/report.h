#pragma once
// `diffseg report`: one self-contained HTML file (inline SVG, no network) for an experiment folder — the result
// tables, training-loss and validation-Dice curves per run, and Dice per sampling step per strategy and sampler.
// It reads only the files the experiment wrote (results/*.csv, runs/*/log.csv, runs/*/validation.csv).
#include <filesystem>

namespace diffseg::experiment {

void write_report(const std::filesystem::path& experiment, const std::filesystem::path& html);

}  // namespace diffseg::experiment

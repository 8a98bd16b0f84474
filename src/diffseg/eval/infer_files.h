#pragma once
// `diffseg infer` as a library call: segments image files (one file, a folder, or a split of a dataset) with a
// trained run and writes, per input, the label map in the input's format and exact geometry (raw scans go through
// the run's preprocessing and back, eval/model_grid.h), optionally every sampling step's label map and the
// uncertainty map (normalised entropy, NIfTI). Under torchrun the processes split the inputs (input i goes to rank
// i mod N) with no communication: each writes its own outputs, and a lost process loses only its own cases.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "diffseg/dist/launch_env.h"
#include "diffseg/eval/inference.h"
#include "diffseg/eval/model_grid.h"

namespace diffseg::eval {

struct InferRequest {
  std::filesystem::path run, input, output;
  std::string split = "test";         // when `input` is a dataset folder or dataset.json
  std::string checkpoint = "best";    // best or last
  InferenceOptions inference;
  InputKind input_kind = InputKind::automatic;
  bool save_steps = false, uncertainty = false;
};

// Each input case: its channel files (one, or several for multi-sequence MR from a dataset.json).
std::vector<std::vector<std::filesystem::path>> infer_inputs(const InferRequest& request);

struct InferSummary {
  int64_t written = 0, failed = 0;  // this process's inputs; a failed one is logged with its reason
};

// UsageError before any work when there is nothing to segment or an output would overwrite an input.
InferSummary infer_files(const InferRequest& request, c10::Device device, const dist::LaunchEnv& env);

}  // namespace diffseg::eval

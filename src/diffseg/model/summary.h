#pragma once
// What `diffseg model-info` prints: per-module parameter counts and feature-map sizes, the total, and an estimate
// of the activation memory of one training step.
#include <cstdint>
#include <string>
#include <vector>

#include "diffseg/model/unet.h"

namespace diffseg::model {

struct ModuleRow {
  std::string name;        // e.g. "encoder.1" or "transformer"
  int64_t channels = 0;    // output channels
  std::vector<int64_t> spatial;  // output spatial size for the given input size
  int64_t parameters = 0;
};

struct ModelSummary {
  std::vector<ModuleRow> rows;
  int64_t total_parameters = 0;
  // Estimated bytes kept for backward in one float32 training step at `batch` (activations, attention matrices),
  // plus parameters, gradients and the two AdamW moments.
  double activation_bytes = 0, optimizer_bytes = 0;
};

ModelSummary summarise(UNet& net, const std::vector<int64_t>& input_spatial, int64_t batch);
std::string format_summary(const ModelSummary& s, const UNetOptions& o, const std::vector<int64_t>& input_spatial,
                           int64_t batch);

}  // namespace diffseg::model

#pragma once
// Raw scans in, the scan's own geometry out. A run trained on `diffseg prepare` output has only ever seen images
// reoriented, resampled, cropped and normalised by the dataset's recipe (data.preprocessing in its config), so a
// scan straight from the scanner gets exactly that before the network sees it; the class probabilities then go
// back onto the scan's grid by world position (linear), and only then become labels. An input that already is a
// prepared image is recognised and used as it is.
#include <string>

#include <ATen/core/Tensor.h>

#include "diffseg/eval/trained_run.h"
#include "diffseg/io/image.h"

namespace diffseg::eval {

// auto: transform unless the input already looks prepared (below); raw / prepared: the user says which.
enum class InputKind { automatic, raw, prepared };
InputKind parse_input_kind(const std::string& text);  // "auto", "raw", "prepared"; UsageError otherwise

struct ModelInput {
  io::Image image;           // float32, on the grid and intensity scale the network was trained on
  bool transformed = false;  // false: the scan is used as it is
  std::string description;   // what was done, for the log
};

// Checks the scan against the run (dimensionality, channels, finite values, not constant: InputError naming
// `name`), then applies the run's recipe unless the input is prepared: with InputKind::automatic an input counts
// as prepared when every property the recipe sets already holds (canonical orientation, the target spacing within
// 1 %, intensities within [0, 1]), or when the run records no recipe. Never the recipe's pad/crop around the
// foreground: there is no label at inference, and the sliding window covers the whole image instead. Warns when
// the spacing the network sees is more than 10x off the training spacing.
ModelInput to_model_grid(const io::Image& scan, const TrainedRun& run, InputKind kind, const std::string& name);

// Class probabilities (K, *spatial) on `model_grid`'s grid → (K, *spatial) on `scan`'s grid. Voxels of the scan
// outside the model grid (cropped away) are background with certainty; at the border the missing mass goes to
// background. With `model_grid` being the scan's own grid this is the identity.
at::Tensor to_scan_grid(const at::Tensor& probabilities, const io::Image& model_grid, const io::Image& scan);

}  // namespace diffseg::eval

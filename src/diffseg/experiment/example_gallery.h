#pragma once
// The report's example figures: for each test case the evaluator drew (examples/index.json in each run's test
// evaluation), one row per strategy with image, ground truth, every sampling step's prediction and the
// uncertainty map, embedded as PNG data URIs so the report stays one self-contained file.
#include <filesystem>
#include <string>

namespace diffseg::experiment {

// HTML for the runs under `runs` (empty when no evaluation wrote figures).
std::string example_gallery_html(const std::filesystem::path& runs);

}  // namespace diffseg::experiment

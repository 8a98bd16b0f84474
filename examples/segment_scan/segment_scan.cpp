// Embedding diffseg in another program (a viewer plug-in, a hospital pipeline): segment one scan with a trained
// run through the public API in diffseg/eval — the same steps `diffseg infer` takes for one input file, so the
// label map is identical to infer's with its default options (DDPM, 5 steps, one seed).
//
//   segment_scan RUN_DIR SCAN OUTPUT     (SCAN: a raw or prepared NIfTI/PNG; OUTPUT keeps its geometry)
#include <cstdio>
#include <exception>

#include "diffseg/data/tensor_image.h"
#include "diffseg/eval/inference.h"
#include "diffseg/eval/model_grid.h"
#include "diffseg/io/image_file.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: segment_scan RUN_DIR SCAN OUTPUT\n");
    return 2;
  }
  using namespace diffseg;
  try {
    const c10::Device device(c10::kCPU);
    eval::TrainedRun run = eval::load_run(argv[1], "best", device);
    // The scan as the network must see it: the run's recorded preprocessing, unless it is already prepared.
    const io::Image scan = io::read_image(argv[2]);
    const eval::ModelInput input = eval::to_model_grid(scan, run, eval::InputKind::automatic, argv[2]);
    const eval::InferenceOptions options;  // DDPM, 5 steps, one seed
    const eval::CasePrediction prediction =
        eval::predict_case(run, data::to_tensor(input.image).to(device), /*case_index=*/0, options);
    // Probabilities back onto the scan's grid, then labels.
    const at::Tensor probabilities = eval::to_scan_grid(prediction.mean_probabilities, input.image, scan);
    const at::Tensor labels = eval::final_labels(probabilities, run).to(at::kByte);
    io::write_image(argv[3], data::to_image(labels, scan.spatial_dims(), scan.geometry()));
    std::printf("%s: %s\n", argv[2], input.description.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "segment_scan: %s\n", e.what());
    return 1;
  }
}

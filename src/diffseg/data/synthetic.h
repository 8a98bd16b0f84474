#pragma once
// Seeded synthetic segmentation data for the demo and the tests. Each case holds one irregular blob per foreground
// class (random position, size, rotation, superellipse shape, wobbly boundary), painted in random order so blobs
// overlap. Intensities are class-dependent but deliberately not separable by thresholds: one class has the
// background's mean and is told apart only by its dark wall, every class has such a wall, and texture, blur, a
// smooth multiplicative bias field and Rician noise are added.
#include <array>
#include <cstdint>
#include <filesystem>

#include "diffseg/io/dataset.h"
#include "diffseg/io/image.h"

namespace diffseg::data {

struct SyntheticOptions {
  int dims = 2;                                 // 2 (PNG) or 3 (NIfTI, anisotropic spacing)
  int cases = 24;
  int foreground_classes = 3;                   // structures per case, background excluded
  std::array<int64_t, 3> size{64, 64, 24};      // x, y, z (z unused in 2D)
  std::array<double, 3> spacing{0.9, 0.9, 2.0}; // mm, 3D only; 2D images have pixel spacing 1
  uint64_t seed = 0;
  double noise = 0.06;                          // Rician noise sigma, on the [0, 1] intensity scale
  double bias = 0.25;                           // log-amplitude of the multiplicative bias field
  double validation_fraction = 0.2;
  double test_fraction = 0.2;
};

struct SyntheticCase {
  io::Image image;  // float32 in [0, 1]
  io::Image label;  // uint8 class ids 0..foreground_classes
};

// Case `index` depends only on (options, index): the same seed gives the same case, whatever else is generated.
SyntheticCase make_synthetic_case(const SyntheticOptions& options, int index);

// Writes imagesTr/, labelsTr/ and dataset.json (training/validation/test lists) into `out`; returns the dataset.
io::Dataset write_synthetic_dataset(const std::filesystem::path& out, const SyntheticOptions& options);

}  // namespace diffseg::data

#pragma once
// NIfTI-1 and NIfTI-2 (.nii, .nii.gz, and .hdr/.img pairs) through nifticlib, with checks that turn every kind of
// broken file into an InputError naming the file and the problem.
#include <filesystem>

#include "diffseg/io/image.h"

namespace diffseg::io {

// Reads a 2D, 3D or 4D (channels in the 4th axis) image. The affine is the sform when its code is set, else the
// qform, else diag(pixdim) (nibabel's order). scl_slope/scl_inter are applied (the result is then float32, or
// float64 for float64 data).
Image read_nifti(const std::filesystem::path& path);

struct NiftiWriteOptions {
  int version = 1;  // 1 or 2
};

// Writes atomically (temporary file + rename); ".gz" in the name compresses. Both qform and sform hold the affine.
void write_nifti(const std::filesystem::path& path, const Image& image, const NiftiWriteOptions& options = {});

}  // namespace diffseg::io

#pragma once
// Format dispatch by file name: .nii / .nii.gz / .hdr → NIfTI, .png → PNG.
#include <filesystem>
#include <string>

#include "diffseg/io/image.h"

namespace diffseg::io {

enum class FileFormat { nifti, png };

// UsageError/InputError for names that are neither.
FileFormat format_of(const std::filesystem::path& path);
bool is_image_file_name(const std::filesystem::path& path);
// The file name without ".nii.gz", ".nii" or ".png" (case ids and output names are built from it).
std::string stem_of(const std::filesystem::path& path);

Image read_image(const std::filesystem::path& path);

struct WriteOptions {
  int nifti_version = 1;
};
void write_image(const std::filesystem::path& path, const Image& image, const WriteOptions& options = {});

}  // namespace diffseg::io

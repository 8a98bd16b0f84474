#include "diffseg/io/image_file.h"

#include <algorithm>
#include <cctype>

#include "diffseg/core/error.h"
#include "diffseg/io/nifti.h"
#include "diffseg/io/png.h"

namespace diffseg::io {
namespace fs = std::filesystem;

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
const char* const kExtensions[] = {".nii.gz", ".nii", ".hdr", ".png"};
}  // namespace

bool is_image_file_name(const fs::path& path) {
  const std::string name = lower(path.filename().string());
  return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ends_with(name, e); });
}

FileFormat format_of(const fs::path& path) {
  const std::string name = lower(path.filename().string());
  if (ends_with(name, ".png")) return FileFormat::png;
  if (ends_with(name, ".nii") || ends_with(name, ".nii.gz") || ends_with(name, ".hdr")) return FileFormat::nifti;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError(path, "is a folder, not an image file (.nii, .nii.gz or .png)");
  throw InputError(path, "unknown image format (expected .nii, .nii.gz or .png)");
}

std::string stem_of(const fs::path& path) {
  const std::string name = path.filename().string();
  const std::string low = lower(name);
  for (const char* e : kExtensions)
    if (ends_with(low, e)) return name.substr(0, name.size() - std::string(e).size());
  return path.stem().string();
}

Image read_image(const fs::path& path) {
  return format_of(path) == FileFormat::png ? read_png(path) : read_nifti(path);
}

void write_image(const fs::path& path, const Image& image, const WriteOptions& options) {
  if (format_of(path) == FileFormat::png)
    write_png(path, image);
  else
    write_nifti(path, image, NiftiWriteOptions{options.nifti_version});
}

}  // namespace diffseg::io

// The image readers through io::read_image, which picks the format from the file name as every command does.
#include "diffseg/io/image_file.h"
#include "fuzz/fuzz_targets.h"
#include "fuzz/input_file.h"
#include "fuzz/refusal.h"

namespace diffseg::fuzz {

namespace {
int read_image_bytes(const char* file_name, const uint8_t* data, size_t size) {
  const auto path = write_input_file(file_name, data, size);
  return accepted_or_refused([&] { io::read_image(path); });
}
}  // namespace

int fuzz_nifti(const uint8_t* data, size_t size) { return read_image_bytes("input.nii", data, size); }
int fuzz_nifti_gz(const uint8_t* data, size_t size) { return read_image_bytes("input.nii.gz", data, size); }
int fuzz_png(const uint8_t* data, size_t size) { return read_image_bytes("input.png", data, size); }

}  // namespace diffseg::fuzz

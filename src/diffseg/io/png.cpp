#include "diffseg/io/png.h"

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <png.h>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/io/file_checks.h"

namespace diffseg::io {
namespace fs = std::filesystem;

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { if (f) std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// libpng reports errors through longjmp; the message is kept here so it can be rethrown as a C++ exception once
// control is back in our frame.
struct PngErrorState {
  std::jmp_buf jump;
  char message[256] = "";
  std::uintmax_t allocation_cap = 0;      // see capped_malloc
  std::uintmax_t refused_allocation = 0;  // the largest request refused, reported with the error
};

void on_png_error(png_structp png, png_const_charp msg) {
  auto* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
  std::snprintf(state->message, sizeof state->message, "%s", msg);
  std::longjmp(state->jump, 1);
}
void on_png_warning(png_structp, png_const_charp) {}

// Deflate cannot expand its input by more than about 1032:1, so a header whose image data (one filter byte per row
// plus the samples) exceeds this many times the file's size is corrupt. Checked before the pixel buffer is allocated,
// so a tiny file cannot make us reserve gigabytes for rows it does not hold.
constexpr double kMaxDeflateExpansion = 1100;

// libpng allocates a chunk's claimed length before reading it, and Debian's build sets no cap (its own length check
// only warns): a 144-byte file whose iTXt chunk claimed 2 GB got that much (found by the fuzzer). No libpng
// allocation may exceed the file's size or 16 MiB, whichever is larger: the widest row libpng accepts (10^6 RGBA
// 16-bit pixels) needs 8 MB, and a refused ancillary chunk is skipped, a refused essential one is an error.
constexpr std::uintmax_t kMinAllocationCap = 16u << 20;

png_voidp capped_malloc(png_structp png, png_alloc_size_t size) {
  auto* state = static_cast<PngErrorState*>(png_get_mem_ptr(png));
  if (size <= state->allocation_cap) return std::malloc(size);
  state->refused_allocation = std::max<std::uintmax_t>(state->refused_allocation, size);
  return nullptr;
}
void plain_free(png_structp, png_voidp pointer) { std::free(pointer); }

// Reads into `pixels` (8- or 16-bit samples, grey/grey+alpha/RGB/RGBA after palette expansion). Kept free of
// objects with destructors between setjmp and the libpng calls that may longjmp.
bool read_png_rows(std::FILE* file, std::uintmax_t file_bytes, PngErrorState& state, std::vector<uint8_t>& pixels,
                   png_uint_32& width, png_uint_32& height, int& bit_depth, int& channels) {
  state.allocation_cap = std::max(file_bytes, kMinAllocationCap);
  png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &state, on_png_error, on_png_warning, &state,
                                             capped_malloc, plain_free);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  std::vector<png_bytep> rows;
  if (setjmp(state.jump)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_init_io(png, file);
  png_read_info(png, info);
  width = png_get_image_width(png, info);
  height = png_get_image_height(png, info);
  const double stored_bytes = (static_cast<double>(png_get_rowbytes(png, info)) + 1) * static_cast<double>(height);
  if (stored_bytes > kMaxDeflateExpansion * static_cast<double>(file_bytes) + 65536) {
    std::snprintf(state.message, sizeof state.message,
                  "the header claims %u x %u pixels (%.0f bytes of image data), more than its %ju bytes can hold",
                  static_cast<unsigned>(width), static_cast<unsigned>(height), stored_bytes, file_bytes);
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  const int color_type = png_get_color_type(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_bit_depth(png, info) == 16) png_set_swap(png);  // PNG is big-endian; we want host order
  png_read_update_info(png, info);
  bit_depth = png_get_bit_depth(png, info);
  channels = png_get_channels(png, info);
  const std::size_t row_bytes = png_get_rowbytes(png, info);
  pixels.resize(row_bytes * height);
  rows.resize(height);
  for (png_uint_32 r = 0; r < height; ++r) rows[r] = pixels.data() + r * row_bytes;
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

template <class T>
void to_grey(const T* src, T* dst, int64_t count, int channels) {
  const bool colour = channels >= 3;
  for (int64_t i = 0; i < count; ++i) {
    const T* p = src + i * channels;
    if (!colour || (p[0] == p[1] && p[1] == p[2])) {
      dst[i] = p[0];
    } else {
      dst[i] = static_cast<T>((299.0 * p[0] + 587.0 * p[1] + 114.0 * p[2]) / 1000.0 + 0.5);
    }
  }
}

}  // namespace

Image read_png(const fs::path& path) {
  check_readable_file(path);
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) throw InputError(path, "cannot open for reading");
  unsigned char signature[8] = {};
  if (std::fread(signature, 1, 8, file.get()) != 8 || png_sig_cmp(signature, 0, 8) != 0)
    throw InputError(path, "not a PNG file (bad signature)");
  std::rewind(file.get());

  PngErrorState state;
  std::vector<uint8_t> pixels;
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, channels = 0;
  const auto file_bytes = fs::file_size(path);
  if (!read_png_rows(file.get(), file_bytes, state, pixels, width, height, bit_depth, channels)) {
    std::string why = state.message[0] ? state.message : "libpng could not read it";
    if (state.refused_allocation)
      why += "; a chunk needs " + std::to_string(state.refused_allocation) + " bytes, more than this " +
             std::to_string(file_bytes) + "-byte file can hold";
    throw InputError(path, "corrupt or truncated PNG: " + why);
  }

  Geometry geometry;  // pixels: spacing 1, origin 0
  const DType dtype = bit_depth == 16 ? DType::uint16 : DType::uint8;
  Image image(Size{width, height, 1, 1}, 2, dtype, geometry);
  const int64_t count = static_cast<int64_t>(width) * height;
  if (dtype == DType::uint16)
    to_grey(reinterpret_cast<const uint16_t*>(pixels.data()), image.data<uint16_t>(), count, channels);
  else
    to_grey(pixels.data(), image.data<uint8_t>(), count, channels);
  return image;
}

bool png_holds_geometry(const Geometry& geometry) { return geometry.approx_equal(Geometry{}); }

void write_png(const fs::path& path, const Image& image) {
  const bool rgb = image.size().channels == 3 && image.dtype() == DType::uint8;
  if (image.spatial_dims() != 2 || (image.size().channels != 1 && !rgb))
    throw UsageError(path.string() + ": PNG holds 2D single-channel images (or 3-channel uint8 colour) only");
  // Dropping the geometry would leave a file that no longer maps pixels to the patient (and no longer matches the
  // image it was derived from), so it is refused rather than lost.
  if (!png_holds_geometry(image.geometry()))
    throw UsageError(path.string() + ": a PNG cannot store this image's geometry (" + image.geometry().describe() +
                     "); write it as NIfTI (.nii.gz)");
  // Choose 8 or 16 bits from the values, so label maps of any integer type can be saved.
  Image pixels;
  std::vector<uint8_t> interleaved;  // colour: the Image's channel planes become RGB triplets
  if (rgb) {
    pixels = image;
    const int64_t n = image.size().voxels();
    interleaved.resize(static_cast<size_t>(3 * n));
    const uint8_t* src = image.data<uint8_t>();
    for (int64_t i = 0; i < n; ++i)
      for (int c = 0; c < 3; ++c) interleaved[static_cast<size_t>(3 * i + c)] = src[c * n + i];
  } else if (image.dtype() == DType::uint8 || image.dtype() == DType::uint16) {
    pixels = image;
  } else {
    double lo = 0, hi = 0;
    for (int64_t i = 0; i < image.size().elements(); ++i) {
      const double v = image.value(i);
      if (v != static_cast<double>(static_cast<int64_t>(v)))
        throw UsageError(path.string() + ": PNG needs integer values; found " + std::to_string(v));
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (lo < 0 || hi > 65535) throw UsageError(path.string() + ": values outside 0..65535 do not fit a PNG");
    pixels = image.cast(hi <= 255 ? DType::uint8 : DType::uint16);
  }
  const int bit_depth = pixels.dtype() == DType::uint16 ? 16 : 8;
  const auto width = static_cast<png_uint_32>(pixels.size().x), height = static_cast<png_uint_32>(pixels.size().y);

  write_atomically(path, [&](const fs::path& tmp) {
    FilePtr file(std::fopen(tmp.c_str(), "wb"));
    if (!file) throw OutputError(path, "cannot open for writing");
    PngErrorState state;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    std::vector<png_bytep> rows(height);
    const std::size_t row_bytes = static_cast<std::size_t>(width) * (bit_depth / 8) * (rgb ? 3 : 1);
    auto* base = rgb ? interleaved.data() : static_cast<png_bytep>(const_cast<void*>(pixels.raw()));
    for (png_uint_32 r = 0; r < height; ++r) rows[r] = base + r * row_bytes;
    volatile bool ok = png && info;  // volatile: survives libpng's longjmp
    if (ok && setjmp(state.jump) == 0) {
      png_init_io(png, file.get());
      png_set_IHDR(png, info, width, height, bit_depth, rgb ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                   PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
      png_write_info(png, info);
      if (bit_depth == 16) png_set_swap(png);
      png_write_image(png, rows.data());
      png_write_end(png, nullptr);
    } else {
      ok = false;
    }
    png_destroy_write_struct(&png, &info);
    if (!ok) throw OutputError(path, std::string("PNG write failed: ") + state.message);
    if (std::fflush(file.get()) != 0 || std::ferror(file.get()))
      throw OutputError(path, "write failed (disk full or not writable?)");
  });
}

}  // namespace diffseg::io

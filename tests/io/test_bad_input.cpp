// Every kind of broken input file gives an InputError that names the file and says what is wrong — no crash, no
// hang, no silent garbage.
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <zlib.h>

#include "diffseg/io/image_file.h"
#include "diffseg/io/nifti.h"
#include "diffseg/io/png.h"
#include "io/error_matchers.h"
#include "io/io_test_util.h"
#include "test_util.h"

using namespace diffseg::io;
using diffseg::test::TempDir;
namespace fs = std::filesystem;

namespace {
void truncate_to(const fs::path& p, std::uintmax_t size) { fs::resize_file(p, size); }

template <class T>
void patch(const fs::path& p, std::streamoff offset, T value) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  f.write(reinterpret_cast<const char*>(&value), sizeof value);
}

fs::path write_sample(const TempDir& dir, const std::string& name) {
  const Image im = diffseg::test::make_pattern_image(Size{16, 16, 8, 1}, 3, DType::int16);
  write_image(dir / name, im);
  return dir / name;
}

std::string big_endian32(uint32_t value) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (24 - 8 * i)) & 0xFF);
  return out;
}

// One PNG chunk: length, type, data, CRC of type + data.
std::string png_chunk(const std::string& type, const std::string& data) {
  const std::string body = type + data;
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  return big_endian32(static_cast<uint32_t>(data.size())) + body + big_endian32(static_cast<uint32_t>(crc));
}
const std::string kPngSignature("\x89PNG\r\n\x1a\n", 8);
}  // namespace

TEST(BadInput, MissingFile) {
  TempDir dir;
  const auto p = dir / "nope.nii.gz";
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "file not found");
}

TEST(BadInput, EmptyFile) {
  TempDir dir;
  for (const char* name : {"empty.nii", "empty.png"}) {
    std::ofstream(dir / name).close();
    EXPECT_INPUT_ERROR(read_image(dir / name), (dir / name).string(), "empty file");
  }
}

TEST(BadInput, FolderInsteadOfFile) {
  TempDir dir;
  fs::create_directories(dir / "scan.nii");
  EXPECT_INPUT_ERROR(read_image(dir / "scan.nii"), "scan.nii", "is a folder");
}

TEST(BadInput, TruncatedGzip) {
  TempDir dir;
  const auto p = write_sample(dir, "t.nii.gz");
  truncate_to(p, fs::file_size(p) / 2);
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "truncated or corrupt");
}

TEST(BadInput, TruncatedPlainNifti) {
  TempDir dir;
  const auto p = write_sample(dir, "t.nii");
  truncate_to(p, fs::file_size(p) - 100);
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "truncated");
}

TEST(BadInput, FileShorterThanHeader) {
  TempDir dir;
  const auto p = write_sample(dir, "h.nii");
  truncate_to(p, 200);
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "too short for a NIfTI header");
}

TEST(BadInput, WrongMagic) {
  TempDir dir;
  const auto p = write_sample(dir, "m.nii");
  patch(p, 344, std::array<char, 4>{'x', 'y', 'z', '\0'});
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "magic");
}

TEST(BadInput, NotANiftiAtAll) {
  TempDir dir;
  const auto p = dir / "notes.nii";
  std::ofstream(p) << std::string(600, 'a');
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "not a NIfTI file");
}

TEST(BadInput, HeaderDimsLargerThanData) {
  TempDir dir;
  const auto plain = write_sample(dir, "d.nii");
  patch(plain, 40 + 2 * 3, int16_t{64});  // dim[3]: 8 → 64 slices, data holds 8
  EXPECT_INPUT_ERROR(read_image(plain), plain.string(), "the header promises");

  // The same header lie inside a gzip stream: the data runs out during decompression.
  const auto gz = dir / "d.nii.gz";
  const auto plain2 = write_sample(dir, "d2.nii");
  patch(plain2, 40 + 2 * 3, int16_t{64});
  const std::string cmd = "gzip -c '" + plain2.string() + "' > '" + gz.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_INPUT_ERROR(read_image(gz), gz.string(), "truncated or corrupt");
}

TEST(BadInput, UnsupportedDataType) {
  TempDir dir;
  const auto p = write_sample(dir, "u.nii");
  patch(p, 70, int16_t{256});  // DT_INT8
  patch(p, 72, int16_t{8});
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "unsupported NIfTI data type");
}

TEST(BadInput, FiveDimensionalImage) {
  TempDir dir;
  const auto p = write_sample(dir, "5d.nii");
  patch(p, 40, int16_t{5});
  patch(p, 40 + 2 * 4, int16_t{1});
  patch(p, 40 + 2 * 5, int16_t{2});
  // 5D with dim5 = 2 needs twice the data; whichever check fires first, the file is refused with its name.
  try {
    read_image(p);
    ADD_FAILURE() << "5D image accepted";
  } catch (const diffseg::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos);
  }
}

TEST(BadInput, CorruptPng) {
  TempDir dir;
  Image im(Size{64, 64, 1, 1}, 2, DType::uint8);
  for (int64_t i = 0; i < im.size().elements(); ++i) im.data<uint8_t>()[i] = static_cast<uint8_t>(i * 7);
  const auto p = dir / "c.png";
  write_png(p, im);
  truncate_to(p, fs::file_size(p) / 2);
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "corrupt or truncated PNG");

  const auto q = dir / "text.png";
  std::ofstream(q) << "this is not a png file at all";
  EXPECT_INPUT_ERROR(read_image(q), q.string(), "not a PNG file");
}

// A PNG whose header claims more rows than its compressed data could ever expand to (found by fuzz_png: such a
// 144-byte file made libpng allocate 2 GB) is refused from the header, naming the claim.
TEST(BadInput, PngClaimingMoreDataThanItHoldsIsRefusedBeforeAllocating) {
  // IHDR: width 10000, height 1000000 (libpng's own limit for each side), 8-bit grey: 10 GB of image data claimed.
  const std::string ihdr{"\x00\x00\x27\x10\x00\x0f\x42\x40\x08\x00\x00\x00\x00", 13};
  const std::string idat{"\x78\x9c\x63\x00\x00\x00\x01\x00\x01", 9};  // a few compressed zero bytes
  TempDir dir;
  const auto p = dir / "huge.png";
  std::ofstream(p, std::ios::binary) << kPngSignature + png_chunk("IHDR", ihdr) + png_chunk("IDAT", idat) +
                                            png_chunk("IEND", "");
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "the header claims 10000 x 1000000 pixels");
}

// libpng allocates a chunk's claimed length before reading it; the fuzzer found a 144-byte file whose iTXt chunk
// claimed 2 GB. The allocation is refused (the message says so, which it did not when libpng got the 2 GB).
TEST(BadInput, PngChunkClaimingMoreThanTheFileIsRefusedWithoutAllocatingIt) {
  const std::string ihdr{"\x00\x00\x00\x07\x00\x00\x00\x05\x08\x00\x00\x00\x00", 13};  // 7 x 5, 8-bit grey
  TempDir dir;
  const auto p = dir / "claims_2gb.png";
  std::ofstream(p, std::ios::binary) << kPngSignature + png_chunk("IHDR", ihdr) + big_endian32(2000000000) +
                                            "iTXtkey";
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "a chunk needs 2000000001 bytes");
}

TEST(BadInput, UnknownExtension) {
  TempDir dir;
  const auto p = dir / "scan.mha";
  std::ofstream(p) << "x";
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "unknown image format");
}

// Headers trusted too far (issue 22): absurd sizes are refused before anything is allocated, voxel offsets must
// lie inside the file, and a degenerate orientation or spacing is an error, never replaced by 1 mm / identity.
TEST(BadHeader, DimensionsThatOverflowAreRefused) {
  TempDir dir;
  const auto p = dir / "huge2.nii";
  write_nifti(p, diffseg::test::make_pattern_image(Size{16, 16, 8, 1}, 3, DType::int16), NiftiWriteOptions{2});
  for (int i = 1; i <= 3; ++i) patch(p, 16 + 8 * i, int64_t{1} << 31);  // NIfTI-2 dim[1..3] = 2^31
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "corrupt header");
}

TEST(BadHeader, GzipClaimingGigabytesIsRefusedWithoutAllocatingThem) {
  TempDir dir;
  const auto plain = write_sample(dir, "big.nii");
  patch(plain, 40 + 2 * 1, int16_t{2048});  // 2048 x 2048 x 512 int16 = 4 GiB claimed, 4 KB present
  patch(plain, 40 + 2 * 2, int16_t{2048});
  patch(plain, 40 + 2 * 3, int16_t{512});
  const auto gz = dir / "big.nii.gz";
  ASSERT_EQ(std::system(("gzip -c '" + plain.string() + "' > '" + gz.string() + "'").c_str()), 0);
  EXPECT_INPUT_ERROR(read_image(gz), gz.string(), "truncated or corrupt");
  // 32767 x 2048 x 256 int16 = 32 GiB claimed: more than this machine's memory, so allocating before checking
  // would fail with "out of memory" instead of naming the real problem.
  patch(plain, 40 + 2 * 1, int16_t{32767});
  patch(plain, 40 + 2 * 3, int16_t{256});
  ASSERT_EQ(std::system(("gzip -c '" + plain.string() + "' > '" + gz.string() + "'").c_str()), 0);
  EXPECT_INPUT_ERROR(read_image(gz), gz.string(), "truncated or corrupt");
  patch(plain, 40 + 2 * 2, int16_t{32767});  // 32767 x 32767 x 256 x 2 bytes: over the 64 GiB limit outright
  EXPECT_INPUT_ERROR(read_image(plain), plain.string(), "corrupt header");
}

TEST(BadHeader, VoxelOffsetOutsideTheFileIsRefused) {
  TempDir dir;
  const auto p = write_sample(dir, "off.nii");
  patch(p, 108, 1e12f);
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "vox_offset");
  patch(p, 108, 100.0f);  // inside the header
  EXPECT_INPUT_ERROR(read_image(p), p.string(), "vox_offset");
}

TEST(BadHeader, DegenerateOrientationOrSpacingIsAnError) {
  TempDir dir;
  // No sform, no qform: pixdim is the spacing, and must be positive.
  for (const float bad : {-1.0f, 0.0f, std::nanf("")}) {
    const auto p = write_sample(dir, "px.nii");
    patch(p, 252, int16_t{0});  // qform_code
    patch(p, 254, int16_t{0});  // sform_code
    patch(p, 80, bad);          // pixdim[1]
    EXPECT_INPUT_ERROR(read_image(p), p.string(), "pixdim[1]");
  }
  // An all-zero sform and no qform: no place in the patient.
  const auto z = write_sample(dir, "zero_sform.nii");
  patch(z, 252, int16_t{0});
  for (int i = 0; i < 12; ++i) patch(z, 280 + 4 * i, 0.0f);
  EXPECT_INPUT_ERROR(read_image(z), z.string(), "sform is degenerate");
  // The same sform with the qform still set: the qform's geometry, as written.
  const auto q = write_sample(dir, "zero_sform_qform.nii");
  const Image expected = read_image(q);
  for (int i = 0; i < 12; ++i) patch(q, 280 + 4 * i, 0.0f);
  const Image fallback = read_image(q);
  EXPECT_TRUE(fallback.geometry().approx_equal(expected.geometry(), 1e-5)) << fallback.geometry().describe();
}

#include "diffseg/io/nifti.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <cstring>
#include <memory>
#include <string>

#include <nifti2_io.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/io/file_checks.h"

namespace diffseg::io {
namespace fs = std::filesystem;

namespace {

struct NiftiDeleter {
  void operator()(nifti_image* nim) const { nifti_image_free(nim); }
};
using NiftiPtr = std::unique_ptr<nifti_image, NiftiDeleter>;

uint32_t byteswap32(uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

// The largest voxel buffer diffseg accepts (64 GiB): a header claiming more is taken as corrupt rather than
// allocated. A 512 x 512 x 2000 float32 CT is 2 GiB.
constexpr int64_t kMaxVoxelBytes = int64_t{64} << 30;

template <class T>
T field(const unsigned char* buf, size_t offset, bool swap) {
  T v;
  std::memcpy(&v, buf + offset, sizeof v);
  if (swap) {
    auto* b = reinterpret_cast<unsigned char*>(&v);
    std::reverse(b, b + sizeof v);
  }
  return v;
}

DType dtype_from_nifti(const fs::path& path, int datatype);

// The raw header fields nifticlib would otherwise trust or silently repair: the dimensions (their product must be
// a size this machine can hold), the voxel offset (inside the file, past the header) and, for the spacing, pixdim.
void check_header_fields(const fs::path& path, const unsigned char* buf, bool v1, bool swap, bool single_file) {
  int64_t dim[8];
  double pixdim[8], vox_offset;
  int64_t bitpix;
  for (int i = 0; i < 8; ++i) {
    dim[i] = v1 ? field<int16_t>(buf, 40 + 2 * i, swap) : field<int64_t>(buf, 16 + 8 * i, swap);
    pixdim[i] = v1 ? field<float>(buf, 76 + 4 * i, swap) : field<double>(buf, 104 + 8 * i, swap);
  }
  vox_offset = v1 ? field<float>(buf, 108, swap) : static_cast<double>(field<int64_t>(buf, 168, swap));
  bitpix = v1 ? field<int16_t>(buf, 72, swap) : field<int16_t>(buf, 14, swap);
  // nifticlib prints its own "** ERROR" line for an unknown type and then fails without a reason; say it here.
  dtype_from_nifti(path, v1 ? field<int16_t>(buf, 70, swap) : field<int16_t>(buf, 12, swap));
  if (dim[0] < 1 || dim[0] > 7)
    throw InputError(path, "header dim[0] = " + std::to_string(dim[0]) + ": the number of dimensions must be 1..7");
  int64_t voxels = 1;
  for (int i = 1; i <= dim[0]; ++i) {
    if (dim[i] < 1)
      throw InputError(path, "header dim[" + std::to_string(i) + "] = " + std::to_string(dim[i]) +
                                 ": every dimension needs at least one voxel");
    if (__builtin_mul_overflow(voxels, dim[i], &voxels) || voxels > kMaxVoxelBytes)
      throw InputError(path, "header dimensions multiply to more voxels than any image diffseg reads (dim[1.." +
                                 std::to_string(dim[0]) + "] start " + std::to_string(dim[1]) + " x " +
                                 std::to_string(dim[0] >= 2 ? dim[2] : 1) + " x ...): a corrupt header");
  }
  const int64_t bytes_per_voxel = std::max<int64_t>(1, bitpix / 8);
  if (voxels * bytes_per_voxel > kMaxVoxelBytes)
    throw InputError(path, "header claims " + std::to_string(voxels * bytes_per_voxel / (int64_t{1} << 30)) +
                               " GiB of voxel data, more than the 64 GiB diffseg reads: a corrupt header");
  if (single_file) {
    const int64_t header_end = v1 ? 352 : 544;  // header + the 4 extension-flag bytes
    if (!std::isfinite(vox_offset) || vox_offset < static_cast<double>(header_end) ||
        vox_offset > static_cast<double>(kMaxVoxelBytes) || vox_offset != std::floor(vox_offset))
      throw InputError(path, "header vox_offset = " + std::to_string(vox_offset) +
                                 ": voxel data must start after the header (at byte " + std::to_string(header_end) +
                                 " or later) and inside the file");
  }
  // nifticlib repairs a zero or negative pixdim on its own; without sform and qform pixdim is the only spacing, so
  // it is checked here, as stored.
  const int qform_code = v1 ? field<int16_t>(buf, 252, swap) : field<int32_t>(buf, 344, swap);
  const int sform_code = v1 ? field<int16_t>(buf, 254, swap) : field<int32_t>(buf, 348, swap);
  for (int i = 1; i <= std::min<int64_t>(dim[0], 3); ++i) {
    if (std::isnan(pixdim[i]) || std::isinf(pixdim[i]))
      throw InputError(path, "header pixdim[" + std::to_string(i) + "] is " + std::to_string(pixdim[i]) +
                                 ": the voxel spacing must be a number");
    if (qform_code <= 0 && sform_code <= 0 && !(pixdim[i] > 0))
      throw InputError(path, "header pixdim[" + std::to_string(i) + "] = " + std::to_string(pixdim[i]) +
                                 " and no sform or qform: the voxel spacing must be positive");
  }
}

// Checks the first bytes ourselves (through zlib, which reads plain files too) so that a wrong file gets a precise
// message instead of nifticlib's generic refusal.
void check_header_bytes(const fs::path& path) {
  if (path.extension() == ".nii") {  // zlib would read it, nifticlib would refuse it without saying why
    unsigned char first[2] = {0, 0};
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
      const size_t got = std::fread(first, 1, 2, f);
      std::fclose(f);
      if (got == 2 && first[0] == 0x1f && first[1] == 0x8b)
        throw InputError(path, "is gzip-compressed but named .nii: rename it to .nii.gz");
    }
  }
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw InputError(path, "cannot open for reading");
  unsigned char buf[540];
  const int n = gzread(gz, buf, sizeof buf);
  gzclose(gz);
  if (n < 0) throw InputError(path, "not a valid gzip stream (corrupt .gz file)");
  if (n < 348) throw InputError(path, "too short for a NIfTI header (" + std::to_string(n) + " bytes, need 348)");
  uint32_t sizeof_hdr;
  std::memcpy(&sizeof_hdr, buf, 4);
  const uint32_t swapped = byteswap32(sizeof_hdr);
  const bool v1 = sizeof_hdr == 348 || swapped == 348;
  const bool v2 = sizeof_hdr == 540 || swapped == 540;
  if (!v1 && !v2)
    throw InputError(path, "not a NIfTI file: header size field is " + std::to_string(sizeof_hdr) +
                               ", expected 348 (NIfTI-1) or 540 (NIfTI-2)");
  bool single_file = true;
  if (v1) {
    const char* magic = reinterpret_cast<const char*>(buf + 344);
    if (std::memcmp(magic, "n+1\0", 4) != 0 && std::memcmp(magic, "ni1\0", 4) != 0)
      throw InputError(path, "bad NIfTI-1 magic (expected \"n+1\" or \"ni1\"); ANALYZE 7.5 files are not supported");
    single_file = magic[1] == '+';
  } else {
    if (n < 540) throw InputError(path, "too short for a NIfTI-2 header (" + std::to_string(n) + " bytes, need 540)");
    if (std::memcmp(buf + 4, "n+2\0", 4) != 0 && std::memcmp(buf + 4, "ni2\0", 4) != 0)
      throw InputError(path, "bad NIfTI-2 magic (expected \"n+2\" or \"ni2\")");
    single_file = buf[5] == '+';
  }
  check_header_fields(path, buf, v1, v1 ? sizeof_hdr != 348 : sizeof_hdr != 540, single_file);
}

DType dtype_from_nifti(const fs::path& path, int datatype) {
  switch (datatype) {
    case DT_UINT8: return DType::uint8;
    case DT_INT16: return DType::int16;
    case DT_UINT16: return DType::uint16;
    case DT_INT32: return DType::int32;
    case DT_FLOAT32: return DType::float32;
    case DT_FLOAT64: return DType::float64;
    default: break;
  }
  const char* name = nifti_datatype_string(datatype);
  throw InputError(path, "unsupported NIfTI data type " + std::string(name ? name : "?") + " (code " +
                             std::to_string(datatype) +
                             "); supported: uint8, int16, uint16, int32, float32, float64");
}

int nifti_from_dtype(DType dtype) {
  switch (dtype) {
    case DType::uint8: return DT_UINT8;
    case DType::int16: return DT_INT16;
    case DType::uint16: return DT_UINT16;
    case DType::int32: return DT_INT32;
    case DType::float32: return DT_FLOAT32;
    case DType::float64: return DT_FLOAT64;
  }
  return DT_FLOAT32;
}

// A usable voxel → world mapping: finite, with a non-degenerate 3x3 part (columns of non-zero length that are
// not parallel).
bool usable(const nifti_dmat44& m, int spatial_dims) {
  Affine a{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) a[r][c] = m.m[r][c];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c)
      if (!std::isfinite(a[r][c])) return false;
  auto column_norm = [&](int c) { return std::sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]); };
  for (int c = 0; c < spatial_dims; ++c)
    if (!(column_norm(c) > 1e-9)) return false;
  if (spatial_dims < 3) return true;
  return std::abs(linear_determinant(a)) > 1e-9 * column_norm(0) * column_norm(1) * column_norm(2);
}

// The sform when it is set and usable, else the qform, else pixdim along the axes — never a silent invention: a
// header whose chosen mapping is degenerate (an all-zero sform, zero or negative spacing) is an error, and falling
// back from a broken sform to the qform is said in the log.
Affine best_affine(const fs::path& path, const nifti_image& nim, int spatial_dims) {
  const nifti_dmat44* m = nullptr;
  if (nim.sform_code > 0 && usable(nim.sto_xyz, spatial_dims)) {
    m = &nim.sto_xyz;
  } else if (nim.qform_code > 0 && usable(nim.qto_xyz, spatial_dims) &&
             nim.dx > 0 && nim.dy > 0 && (spatial_dims < 3 || nim.dz > 0)) {
    if (nim.sform_code > 0)
      spdlog::warn("{}: the sform is degenerate (zero, parallel or non-finite axes); using the qform", path.string());
    m = &nim.qto_xyz;
  } else if (nim.sform_code > 0 || nim.qform_code > 0) {
    throw InputError(path, std::string("the header's ") + (nim.sform_code > 0 ? "sform" : "qform") +
                               " is degenerate (zero, parallel or non-finite axes, or non-positive pixdim) and no "
                               "other orientation is usable: the voxels have no place in the patient");
  }
  Affine a{};
  if (m) {
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) a[r][c] = m->m[r][c];
    return a;
  }
  // No orientation at all: pixdim along the axes, origin 0 (what NIfTI prescribes). check_header_fields has
  // already refused a non-positive pixdim of a spatial axis here; an unused third axis of a 2D image may be 0.
  const double spacing[3] = {nim.dx, nim.dy, nim.dz};
  for (int j = 0; j < 3; ++j) a[j][j] = spacing[j] > 0 ? spacing[j] : 1.0;
  a[3][3] = 1.0;
  return a;
}

Image to_image(const fs::path& path, const nifti_image& nim) {
  const DType dtype = dtype_from_nifti(path, nim.datatype);
  Size size{nim.nx, nim.ny, nim.dim[0] >= 3 ? nim.nz : 1, nim.dim[0] >= 4 ? nim.nt : 1};
  const int spatial = nim.dim[0] == 2 ? 2 : 3;
  Image image(size, spatial, dtype, Geometry::from_affine(best_affine(path, nim, spatial)));
  std::memcpy(image.raw(), nim.data, image.nbytes());

  const bool scaled = nim.scl_slope != 0.0 && (nim.scl_slope != 1.0 || nim.scl_inter != 0.0);
  if (!scaled) return image;
  Image out = image.cast(dtype == DType::float64 ? DType::float64 : DType::float32);
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      T* p = out.data<T>();
      for (int64_t i = 0; i < size.elements(); ++i)
        p[i] = static_cast<T>(p[i] * nim.scl_slope + nim.scl_inter);
    }
  });
  return out;
}


// Voxel data is read here rather than by nifticlib, which silently replaces NaN/Inf floats with 0 — that would
// hide exactly the corrupt inputs we must report.
void read_voxels(const fs::path& path, nifti_image& nim, int64_t data_bytes) {
  gzFile gz = gzopen(nim.iname, "rb");
  if (!gz) throw InputError(path, "cannot open the voxel data file " + std::string(nim.iname));
  gzbuffer(gz, 1 << 17);
  // A compressed file's size says nothing about its content: before allocating a large buffer, stream through it
  // once and count, so a small file whose header claims gigabytes is refused without allocating them.
  if (nifti_is_gzfile(nim.iname) && data_bytes > (int64_t{256} << 20)) {
    const int64_t needed = nim.iname_offset + data_bytes;
    std::vector<char> scratch(1 << 20);
    int64_t seen = 0;
    int got = 0;
    while (seen < needed && (got = gzread(gz, scratch.data(), static_cast<unsigned>(scratch.size()))) > 0) seen += got;
    if (seen < needed) {
      gzclose(gz);
      throw InputError(path, "voxel data truncated or corrupt (expected " + std::to_string(data_bytes) +
                                 " bytes after the header, the compressed stream holds " +
                                 std::to_string(std::max<int64_t>(0, seen - nim.iname_offset)) + ")");
    }
    gzrewind(gz);
  }
  nim.data = std::calloc(static_cast<size_t>(data_bytes), 1);  // freed by nifti_image_free
  if (!nim.data) {
    gzclose(gz);
    throw Error(path.string() + ": out of memory for " + std::to_string(data_bytes) + " bytes of voxels");
  }
  bool ok = gzseek(gz, static_cast<z_off_t>(nim.iname_offset), SEEK_SET) == static_cast<z_off_t>(nim.iname_offset);
  auto* dst = static_cast<char*>(nim.data);
  int64_t remaining = ok ? data_bytes : 0;
  while (ok && remaining > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(remaining, 1 << 30));
    const int n = gzread(gz, dst, chunk);
    if (n <= 0) ok = false;
    dst += n > 0 ? n : 0;
    remaining -= n > 0 ? n : 0;
  }
  gzclose(gz);
  if (!ok || remaining != 0)
    throw InputError(path, "voxel data truncated or corrupt (expected " + std::to_string(data_bytes) +
                               " bytes after the header, got " + std::to_string(data_bytes - remaining) + ")");
  if (nim.byteorder != nifti_short_order() && nim.swapsize > 1)
    nifti_swap_Nbytes(nim.nvox, nim.swapsize, nim.data);
}

// Writes header + empty extension flag + voxels with zlib ("T" = uncompressed for .nii), checking every call so a
// full disk is an error instead of a silently short file.
void write_file(const fs::path& target, const fs::path& tmp, const void* header, size_t header_size,
                int64_t vox_offset, const Image& image) {
  const bool gz = tmp.extension() == ".gz";
  gzFile f = gzopen(tmp.c_str(), gz ? "wb6" : "wbT");
  if (!f) throw OutputError(target, "cannot open for writing");
  bool ok = gzwrite(f, header, static_cast<unsigned>(header_size)) == static_cast<int>(header_size);
  std::vector<char> pad(static_cast<size_t>(vox_offset) - header_size, 0);  // extension flag bytes = 0: none
  ok = ok && gzwrite(f, pad.data(), static_cast<unsigned>(pad.size())) == static_cast<int>(pad.size());
  const char* src = static_cast<const char*>(image.raw());
  size_t remaining = image.nbytes();
  while (ok && remaining > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(remaining, 1u << 30));
    ok = gzwrite(f, src, chunk) == static_cast<int>(chunk);
    src += chunk;
    remaining -= chunk;
  }
  const int closed = gzclose(f);
  if (!ok || closed != Z_OK) throw OutputError(target, "write failed (disk full or not writable?)");
}

}  // namespace

Image read_nifti(const fs::path& path) {
  check_readable_file(path);
  check_header_bytes(path);
  nifti_set_debug_level(0);

  NiftiPtr nim(nifti_image_read(path.c_str(), 0));
  if (!nim) throw InputError(path, "NIfTI header rejected (inconsistent dimensions or fields)");
  if (nim->dim[0] < 2 || nim->dim[0] > 7)
    throw InputError(path, "unsupported number of dimensions " + std::to_string(nim->dim[0]) + " (need 2, 3 or 4)");
  for (int d = 1; d <= nim->dim[0]; ++d)
    if (nim->dim[d] < 1) throw InputError(path, "dimension " + std::to_string(d) + " has size " +
                                                    std::to_string(nim->dim[d]));
  for (int d = 5; d <= nim->dim[0]; ++d)
    if (nim->dim[d] > 1)
      throw InputError(path, "5D+ images are not supported (dim[" + std::to_string(d) + "] = " +
                                 std::to_string(nim->dim[d]) + ")");
  dtype_from_nifti(path, nim->datatype);  // refuse unsupported types before reading the data

  const int64_t data_bytes = nim->nvox * nim->nbyper;
  if (nim->nifti_type == NIFTI_FTYPE_NIFTI1_1 || nim->nifti_type == NIFTI_FTYPE_NIFTI2_1) {
    std::error_code ec;
    const auto file_size = static_cast<int64_t>(fs::file_size(nim->iname, ec));
    if (!nifti_is_gzfile(nim->iname) && !ec && nim->iname_offset > file_size)
      throw InputError(path, "header vox_offset = " + std::to_string(nim->iname_offset) +
                                 " lies beyond the end of the file (" + std::to_string(file_size) + " bytes)");
  }
  if (!nifti_is_gzfile(nim->iname)) {
    std::error_code ec;
    const auto file_size = static_cast<int64_t>(fs::file_size(nim->iname, ec));
    if (!ec && file_size < nim->iname_offset + data_bytes)
      throw InputError(path, "truncated: the header promises " + std::to_string(data_bytes) +
                                 " bytes of voxel data from offset " + std::to_string(nim->iname_offset) +
                                 " but the file has " + std::to_string(file_size) + " bytes");
  }
  read_voxels(path, *nim, data_bytes);
  return to_image(path, *nim);
}

void write_nifti(const fs::path& path, const Image& image, const NiftiWriteOptions& options) {
  if (options.version != 1 && options.version != 2) throw UsageError("NIfTI version must be 1 or 2");
  const Size& s = image.size();
  const int64_t ndim = s.channels > 1 ? 4 : image.spatial_dims();
  const int64_t dims[8] = {ndim, s.x, s.y, s.z, s.channels, 1, 1, 1};

  nifti_set_debug_level(0);
  NiftiPtr nim(nifti_make_new_nim(dims, nifti_from_dtype(image.dtype()), 0));
  if (!nim) throw OutputError(path, "cannot create a NIfTI header for this image");
  nim->nifti_type = options.version == 2 ? NIFTI_FTYPE_NIFTI2_1 : NIFTI_FTYPE_NIFTI1_1;
  const Affine a = image.geometry().affine();
  nifti_dmat44 m{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) m.m[r][c] = a[r][c];
  nim->sto_xyz = m;
  nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  nifti_dmat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x, &nim->qoffset_y,
                          &nim->qoffset_z, nullptr, nullptr, nullptr, &nim->qfac);
  nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
  const auto& sp = image.geometry().spacing;
  nim->dx = nim->pixdim[1] = sp[0];
  nim->dy = nim->pixdim[2] = sp[1];
  nim->dz = nim->pixdim[3] = sp[2];
  nim->xyz_units = NIFTI_UNITS_MM;
  nim->scl_slope = 1.0;
  // Single-file layout: header, 4 extension-flag bytes, voxels (offset 352 for NIfTI-1, 544 for NIfTI-2).
  nim->iname_offset = options.version == 2 ? 544 : 352;

  write_atomically(path, [&](const fs::path& tmp) {
    if (options.version == 2) {
      nifti_2_header h{};
      if (nifti_convert_nim2n2hdr(nim.get(), &h) != 0) throw OutputError(path, "cannot build a NIfTI-2 header");
      write_file(path, tmp, &h, sizeof h, nim->iname_offset, image);
    } else {
      nifti_1_header h{};
      if (nifti_convert_nim2n1hdr(nim.get(), &h) != 0) throw OutputError(path, "cannot build a NIfTI-1 header");
      write_file(path, tmp, &h, sizeof h, nim->iname_offset, image);
    }
  });
}

}  // namespace diffseg::io

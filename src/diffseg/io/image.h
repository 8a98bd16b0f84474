#pragma once
// Image = voxel buffer + geometry. Torch-free on purpose: reading and writing files must not pay LibTorch's compile
// cost, and `data/tensor_image.h` views the buffer as a tensor without copying.
//
// Memory layout is NIfTI's: x fastest, then y, z, channel. Viewed as a tensor that is (C, Z, Y, X), i.e. LibTorch's
// channels-first (C, D, H, W); a 2D image (PNG: 512 wide, 480 high) is (C, 1, 480, 512) with spatial_dims() == 2.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "diffseg/io/geometry.h"

namespace diffseg::io {

enum class DType { uint8, int16, uint16, int32, float32, float64 };

std::size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);
bool dtype_is_integer(DType dtype);

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<uint8_t>() { return DType::uint8; }
template <> constexpr DType dtype_of<int16_t>() { return DType::int16; }
template <> constexpr DType dtype_of<uint16_t>() { return DType::uint16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::int32; }
template <> constexpr DType dtype_of<float>() { return DType::float32; }
template <> constexpr DType dtype_of<double>() { return DType::float64; }

// Calls f(T{}) with T the C++ type of `dtype`; one switch for every typed loop in the project.
template <class F>
decltype(auto) visit_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::uint8: return f(uint8_t{});
    case DType::int16: return f(int16_t{});
    case DType::uint16: return f(uint16_t{});
    case DType::int32: return f(int32_t{});
    case DType::float32: return f(float{});
    case DType::float64: break;
  }
  return f(double{});
}

// Size in voxels along x, y, z and the number of channels.
struct Size {
  int64_t x = 1, y = 1, z = 1, channels = 1;
  int64_t voxels() const { return x * y * z; }
  int64_t elements() const { return voxels() * channels; }
  bool same_spatial(const Size& o) const { return x == o.x && y == o.y && z == o.z; }
  bool operator==(const Size&) const = default;
};

class Image {
 public:
  Image() = default;
  // Zero-filled image.
  Image(Size size, int spatial_dims, DType dtype, Geometry geometry = {});

  const Size& size() const { return size_; }
  int spatial_dims() const { return spatial_dims_; }
  DType dtype() const { return dtype_; }
  const Geometry& geometry() const { return geometry_; }
  void set_geometry(const Geometry& g) { geometry_ = g; }
  bool empty() const { return bytes_.empty(); }

  std::size_t nbytes() const { return bytes_.size(); }
  void* raw() { return bytes_.data(); }
  const void* raw() const { return bytes_.data(); }

  // Typed access; throws std::logic_error when T does not match dtype().
  template <class T> T* data() { check_type(dtype_of<T>()); return reinterpret_cast<T*>(bytes_.data()); }
  template <class T> const T* data() const {
    check_type(dtype_of<T>());
    return reinterpret_cast<const T*>(bytes_.data());
  }

  // Element i (flat index in memory order) as double, whatever the dtype.
  double value(int64_t i) const;
  // Copy converted to another dtype; values are cast with C++ rules (callers check ranges first).
  Image cast(DType dtype) const;
  std::vector<float> to_float() const;
  // One channel as a single-channel image with the same geometry.
  Image channel(int64_t c) const;
  // Stacks single- or multi-channel images of equal spatial size and dtype along the channel axis.
  static Image stack_channels(const std::vector<Image>& images);

 private:
  void check_type(DType requested) const;

  Size size_{};
  int spatial_dims_ = 3;
  DType dtype_ = DType::float32;
  Geometry geometry_{};
  std::vector<std::byte> bytes_;
};

}  // namespace diffseg::io

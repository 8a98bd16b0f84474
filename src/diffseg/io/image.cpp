#include "diffseg/io/image.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace diffseg::io {

std::size_t dtype_size(DType dtype) {
  return visit_dtype(dtype, [](auto v) { return sizeof(v); });
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::uint8: return "uint8";
    case DType::int16: return "int16";
    case DType::uint16: return "uint16";
    case DType::int32: return "int32";
    case DType::float32: return "float32";
    case DType::float64: return "float64";
  }
  return "?";
}

bool dtype_is_integer(DType dtype) { return dtype != DType::float32 && dtype != DType::float64; }

Image::Image(Size size, int spatial_dims, DType dtype, Geometry geometry)
    : size_(size), spatial_dims_(spatial_dims), dtype_(dtype), geometry_(geometry) {
  if (size.x < 1 || size.y < 1 || size.z < 1 || size.channels < 1)
    throw std::invalid_argument("image size must be positive in every axis");
  if (spatial_dims != 2 && spatial_dims != 3) throw std::invalid_argument("images have 2 or 3 spatial axes");
  if (spatial_dims == 2 && size.z != 1) throw std::invalid_argument("a 2D image has z size 1");
  bytes_.resize(static_cast<std::size_t>(size.elements()) * dtype_size(dtype));
}

void Image::check_type(DType requested) const {
  if (requested != dtype_)
    throw std::logic_error("image holds " + std::string(dtype_name(dtype_)) + ", accessed as " +
                           std::string(dtype_name(requested)));
}

double Image::value(int64_t i) const {
  return visit_dtype(dtype_, [&](auto v) {
    using T = decltype(v);
    return static_cast<double>(reinterpret_cast<const T*>(bytes_.data())[i]);
  });
}

Image Image::cast(DType dtype) const {
  Image out(size_, spatial_dims_, dtype, geometry_);
  if (dtype == dtype_) {
    out.bytes_ = bytes_;
    return out;
  }
  const int64_t n = size_.elements();
  visit_dtype(dtype_, [&](auto src_tag) {
    using S = decltype(src_tag);
    const S* src = reinterpret_cast<const S*>(bytes_.data());
    visit_dtype(dtype, [&](auto dst_tag) {
      using D = decltype(dst_tag);
      D* dst = reinterpret_cast<D*>(out.bytes_.data());
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(src[i]);
    });
  });
  return out;
}

std::vector<float> Image::to_float() const {
  const Image f = cast(DType::float32);
  const float* p = f.data<float>();
  return std::vector<float>(p, p + size_.elements());
}

Image Image::channel(int64_t c) const {
  if (c < 0 || c >= size_.channels) throw std::out_of_range("channel index out of range");
  Size s = size_;
  s.channels = 1;
  Image out(s, spatial_dims_, dtype_, geometry_);
  const std::size_t n = out.bytes_.size();
  std::memcpy(out.bytes_.data(), bytes_.data() + static_cast<std::size_t>(c) * n, n);
  return out;
}

Image Image::stack_channels(const std::vector<Image>& images) {
  if (images.empty()) throw std::invalid_argument("nothing to stack");
  const Image& first = images.front();
  Size s = first.size_;
  s.channels = 0;
  for (const Image& im : images) {
    if (!im.size_.same_spatial(first.size_) || im.dtype_ != first.dtype_ || im.spatial_dims_ != first.spatial_dims_)
      throw std::invalid_argument("stacked images must share spatial size, dimensionality and dtype");
    s.channels += im.size_.channels;
  }
  Image out(s, first.spatial_dims_, first.dtype_, first.geometry_);
  std::size_t offset = 0;
  for (const Image& im : images) {
    std::memcpy(out.bytes_.data() + offset, im.bytes_.data(), im.bytes_.size());
    offset += im.bytes_.size();
  }
  return out;
}

}  // namespace diffseg::io

#include "diffseg/data/tensor_image.h"

#include <cstring>
#include <stdexcept>

#include <torch/torch.h>

namespace diffseg::data {

namespace {
at::ScalarType scalar_type(io::DType dtype) {
  switch (dtype) {
    case io::DType::uint8: return at::kByte;
    case io::DType::int16: return at::kShort;
    case io::DType::uint16: return at::kInt;  // LibTorch 1.13 has no uint16: widened on the way in
    case io::DType::int32: return at::kInt;
    case io::DType::float32: return at::kFloat;
    case io::DType::float64: return at::kDouble;
  }
  return at::kFloat;
}

io::DType io_dtype(at::ScalarType type) {
  switch (type) {
    case at::kByte: return io::DType::uint8;
    case at::kShort: return io::DType::int16;
    case at::kInt: return io::DType::int32;
    case at::kFloat: return io::DType::float32;
    case at::kDouble: return io::DType::float64;
    default: break;
  }
  throw std::invalid_argument(std::string("no image data type for tensor type ") + c10::toString(type));
}
}  // namespace

at::Tensor to_tensor(const io::Image& image) {
  const io::Size& s = image.size();
  std::vector<int64_t> shape = image.spatial_dims() == 2 ? std::vector<int64_t>{s.channels, s.y, s.x}
                                                         : std::vector<int64_t>{s.channels, s.z, s.y, s.x};
  if (image.dtype() == io::DType::uint16) return to_tensor(image.cast(io::DType::int32));
  return torch::from_blob(const_cast<void*>(image.raw()), shape, torch::TensorOptions(scalar_type(image.dtype())))
      .clone();
}

io::Image to_image(const at::Tensor& tensor, int spatial_dims, const io::Geometry& geometry) {
  at::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  if (t.dim() == spatial_dims) t = t.unsqueeze(0);
  if (t.dim() != spatial_dims + 1)
    throw std::invalid_argument("tensor of rank " + std::to_string(tensor.dim()) + " is not a " +
                                std::to_string(spatial_dims) + "D image");
  io::Size s;
  s.channels = t.size(0);
  s.x = t.size(-1);
  s.y = t.size(-2);
  s.z = spatial_dims == 3 ? t.size(1) : 1;
  io::Image image(s, spatial_dims, io_dtype(t.scalar_type()), geometry);
  std::memcpy(image.raw(), t.data_ptr(), image.nbytes());
  return image;
}

std::vector<int32_t> to_label_vector(const at::Tensor& labels) {
  const at::Tensor c = labels.to(torch::kCPU, torch::kInt).contiguous();
  return std::vector<int32_t>(c.data_ptr<int32_t>(), c.data_ptr<int32_t>() + c.numel());
}

}  // namespace diffseg::data

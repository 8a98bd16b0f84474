#pragma once
// The bridge between io::Image (file geometry, x-fastest buffer) and LibTorch tensors. The buffer order already is
// channels-first (C, Z, Y, X), so a tensor is the same memory with a shape; geometry stays with the Image.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "diffseg/io/image.h"

namespace diffseg::data {

// (C, Y, X) for 2D images, (C, Z, Y, X) for 3D; same dtype; a copy that owns its memory.
at::Tensor to_tensor(const io::Image& image);

// Inverse of to_tensor: tensor of shape (C, Y, X) / (C, Z, Y, X) (or without C for one channel) → Image carrying
// `geometry`. The tensor is moved to the CPU and must have one of the io dtypes.
io::Image to_image(const at::Tensor& tensor, int spatial_dims, const io::Geometry& geometry);

// A label map (any shape, integer values in any dtype, any device) as the flat int32 buffer, x fastest, that the
// metrics and post-processing take.
std::vector<int32_t> to_label_vector(const at::Tensor& labels);

}  // namespace diffseg::data

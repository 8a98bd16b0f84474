#include "diffseg/model/layers.h"

#include <stdexcept>

namespace diffseg::model {

NormImpl::NormImpl(int64_t channels, NormAxes axes) : channels_(channels), axes_(axes) {
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
}

torch::Tensor NormImpl::forward(const torch::Tensor& x) {
  if (axes_ == NormAxes::spatial) {
    NormActOptions plain;
    plain.gelu = false;
    return forward_with(x, plain);
  }
  return torch::layer_norm(x.to(weight.scalar_type()), {channels_}, weight, bias, 1e-6);
}

torch::Tensor NormImpl::forward_with(const torch::Tensor& x, const NormActOptions& chain) {
  if (axes_ != NormAxes::spatial) throw std::logic_error("only the spatial norm fuses an activation chain");
  NormActOptions o = chain;
  o.eps = 1e-6;
  return norm_act(x, weight, bias, o);
}

Norm make_norm(int64_t channels) { return Norm(channels, NormAxes::spatial); }

namespace {
std::vector<int64_t> weight_shape(int64_t a, int64_t b, const std::vector<int64_t>& kernel) {
  std::vector<int64_t> s{a, b};
  s.insert(s.end(), kernel.begin(), kernel.end());
  return s;
}
void check_dims(int64_t dims, const std::vector<int64_t>& v) {
  if ((dims != 2 && dims != 3) || static_cast<int64_t>(v.size()) != dims)
    throw std::invalid_argument("convolution needs 2 or 3 spatial axes and one size per axis");
}
}  // namespace

ConvImpl::ConvImpl(int64_t dims, int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                   bool with_bias)
    : dims_(dims), stride_(std::move(stride)) {
  check_dims(dims, kernel);
  check_dims(dims, stride_);
  for (size_t a = 0; a < kernel.size(); ++a) {
    const bool same = stride_[a] == 1;
    if (!same && stride_[a] != kernel[a]) throw std::invalid_argument("strided convolutions need kernel == stride");
    padding_.push_back(same ? kernel[a] / 2 : 0);
  }
  weight = register_parameter("weight", torch::empty(weight_shape(out, in, kernel)));
  if (with_bias) bias = register_parameter("bias", torch::zeros({out}));
}

torch::Tensor ConvImpl::forward(const torch::Tensor& x) {
  return dims_ == 2 ? torch::conv2d(x, weight, bias, stride_, padding_) : torch::conv3d(x, weight, bias, stride_, padding_);
}

ConvTransposeImpl::ConvTransposeImpl(int64_t dims, int64_t in, int64_t out, std::vector<int64_t> factor)
    : dims_(dims), factor_(std::move(factor)) {
  check_dims(dims, factor_);
  weight = register_parameter("weight", torch::empty(weight_shape(in, out, factor_)));
}

torch::Tensor ConvTransposeImpl::forward(const torch::Tensor& x) {
  return dims_ == 2 ? torch::conv_transpose2d(x, weight, {}, factor_) : torch::conv_transpose3d(x, weight, {}, factor_);
}

ConvNormActImpl::ConvNormActImpl(int64_t dims, int64_t in, int64_t out, int64_t kernel) {
  conv = register_module("conv", Conv(dims, in, out, std::vector<int64_t>(static_cast<size_t>(dims), kernel),
                                      std::vector<int64_t>(static_cast<size_t>(dims), 1), false));
  norm = register_module("norm", make_norm(out));
}

torch::Tensor ConvNormActImpl::forward(const torch::Tensor& x) { return norm->forward_with(conv(x), NormActOptions{}); }

}  // namespace diffseg::model

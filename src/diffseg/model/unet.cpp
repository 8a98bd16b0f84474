#include "diffseg/model/unet.h"

#include <cmath>

#include "diffseg/core/error.h"

namespace diffseg::model {

namespace {

// One encoder level: residual blocks, then (except at the bottom) down-sampling to the next width.
struct EncoderLevelImpl : torch::nn::Module {
  torch::nn::ModuleList res{nullptr};
  Downsample down{nullptr};
};
TORCH_MODULE(EncoderLevel);

// One decoder level: residual blocks fed by additive skips, then (except at the top) up-sampling.
struct DecoderLevelImpl : torch::nn::Module {
  torch::nn::ModuleList res{nullptr};
  Upsample up{nullptr};
};
TORCH_MODULE(DecoderLevel);

std::vector<int64_t> factor_for(const UNetOptions& o, bool first) { return first ? o.patch_size : o.scale_factor; }

}  // namespace

UNetImpl::UNetImpl(UNetOptions o) : options_(std::move(o)) {
  options_.validate();
  const UNetOptions& op = options_;
  const int64_t dims = op.spatial_dims, levels = static_cast<int64_t>(op.channels.size());
  const int64_t time_dim = op.time_conditioning ? op.channels.back() : 0;
  const bool reference_time = op.time_injection == "reference";
  auto res_block = [&](int64_t c) {
    return ResBlock(dims, c, op.kernel_size, op.dropout, time_dim, reference_time, op.gradient_checkpointing);
  };

  stem = register_module("stem", ConvNormAct(dims, op.in_channels + op.mask_channels, op.channels[0], op.kernel_size));
  encoder = register_module("encoder", torch::nn::ModuleList());
  for (int64_t i = 0; i < levels; ++i) {
    EncoderLevel level;
    level->res = level->register_module("res", torch::nn::ModuleList());
    for (int64_t r = 0; r < op.num_res_blocks; ++r) level->res->push_back(res_block(op.channels[i]));
    if (i + 1 < levels)
      level->down = level->register_module("down", Downsample(dims, op.channels[i], op.channels[i + 1], factor_for(op, i == 0)));
    encoder->push_back(level);
  }
  bottom_in = register_module("bottom_in", res_block(op.channels.back()));
  transformer = register_module("transformer", Transformer(op.channels.back(), op.num_transformer_layers, op.num_heads,
                                                           op.attention_head_dim(), op.widening_factor, op.dropout));
  bottom_out = register_module("bottom_out", res_block(op.channels.back()));
  decoder = register_module("decoder", torch::nn::ModuleList());
  for (int64_t j = 0; j < levels; ++j) {
    const int64_t i = levels - 1 - j;  // encoder level this decoder level mirrors
    DecoderLevel level;
    level->res = level->register_module("res", torch::nn::ModuleList());
    for (int64_t r = 0; r <= op.num_res_blocks; ++r) level->res->push_back(res_block(op.channels[i]));
    if (i > 0)
      level->up = level->register_module("up", Upsample(dims, op.channels[i], op.channels[i - 1], factor_for(op, i == 1)));
    decoder->push_back(level);
  }
  const std::vector<int64_t> one(static_cast<size_t>(dims), 1);
  head = register_module("head", Conv(dims, op.channels[0], op.out_channels, one, one, true));
}

torch::Tensor UNetImpl::forward(const torch::Tensor& image, const torch::Tensor& mask, const torch::Tensor& time) {
  const UNetOptions& op = options_;
  if (image.dim() != op.spatial_dims + 2 || image.size(1) != op.in_channels)
    throw UsageError("model: expected an image of shape (B, " + std::to_string(op.in_channels) + ", " +
                     (op.spatial_dims == 2 ? "H, W" : "D, H, W") + "), got " + c10::str(image.sizes()));
  op.check_input_size(image.sizes().slice(2).vec());
  torch::Tensor x = image;
  if (op.mask_channels > 0) {
    if (!mask.defined() || mask.size(1) != op.mask_channels || mask.sizes().slice(2) != image.sizes().slice(2))
      throw UsageError("model: expected a mask with " + std::to_string(op.mask_channels) +
                       " channels on the image's grid");
    x = torch::cat({image, mask.to(image.scalar_type())}, 1);
  }
  torch::Tensor e;
  if (op.time_conditioning) {
    if (!time.defined() || time.numel() != image.size(0))
      throw UsageError("model: a time per sample is required by the diffusion network");
    e = time_embedding(time, op.channels.back());
  }

  x = stem(x);
  std::vector<torch::Tensor> skips{x};
  for (const auto& m : *encoder) {
    auto* level = m->as<EncoderLevelImpl>();
    for (const auto& r : *level->res) {
      x = r->as<ResBlockImpl>()->forward(x, e);
      skips.push_back(x);
    }
    if (level->down) {
      x = level->down(x);
      skips.push_back(x);
    }
  }
  x = bottom_in(x, e);
  x = transformer(x);
  x = bottom_out(x, e);
  for (const auto& m : *decoder) {
    auto* level = m->as<DecoderLevelImpl>();
    for (const auto& r : *level->res) {
      x = x + skips.back();  // additive skips, not concatenation
      skips.pop_back();
      x = r->as<ResBlockImpl>()->forward(x, e);
    }
    if (level->up) x = level->up(x, skips.back());
  }
  return head(x);
}

namespace {
// Truncated normal on [-2 std, 2 std] with the given std of the *untruncated* distribution scaled as Flax's
// variance_scaling does (divide by 0.8796, the std of a unit normal truncated at ±2).
void truncated_normal_(torch::Tensor& w, double scale, int64_t fan_in, at::Generator& gen) {
  const double std = std::sqrt(scale / static_cast<double>(std::max<int64_t>(fan_in, 1))) / 0.87962566103423978;
  torch::Tensor v = torch::randn(w.sizes(), gen);
  for (int i = 0; i < 100; ++i) {  // resample the few values outside ±2
    const torch::Tensor bad = v.abs() > 2.0;
    if (!bad.any().item<bool>()) break;
    v = torch::where(bad, torch::randn(w.sizes(), gen), v);
  }
  w.copy_(v * std);
}
}  // namespace

void initialise(UNet& net, uint64_t seed) {
  torch::NoGradGuard no_grad;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const double transformer_scale = 2.0 / static_cast<double>(std::max<int64_t>(net->options().num_transformer_layers, 1));
  for (auto& p : net->named_parameters()) {
    const std::string& name = p.key();
    torch::Tensor w = p.value();
    const bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    if (is_bias) {
      w.zero_();
    } else if (w.dim() == 1) {
      w.fill_(1.0);  // norm scales
    } else {
      // PyTorch layouts: Linear/Conv (out, in, k...), transposed conv (in, out, k...): fan-in = in * prod(k).
      const bool transposed = name.find(".up.conv.") != std::string::npos;
      int64_t fan_in = transposed ? w.size(0) : w.size(1);
      for (int64_t d = 2; d < w.dim(); ++d) fan_in *= w.size(d);
      const bool in_transformer = name.rfind("transformer.", 0) == 0;
      truncated_normal_(w, in_transformer ? transformer_scale : 1.0, fan_in, gen);
    }
  }
}

}  // namespace diffseg::model

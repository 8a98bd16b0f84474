#include "diffseg/model/unet_options.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "diffseg/core/error.h"

namespace diffseg::model {

std::vector<int64_t> UNetOptions::total_downsampling() const {
  std::vector<int64_t> f(static_cast<size_t>(spatial_dims), 1);
  const size_t levels = channels.size();
  for (size_t a = 0; a < f.size(); ++a) {
    if (levels >= 2) f[a] *= patch_size[a];
    for (size_t i = 2; i < levels; ++i) f[a] *= scale_factor[a];
  }
  return f;
}

void UNetOptions::validate() const {
  auto fail = [](const std::string& m) { throw UsageError("model: " + m); };
  if (spatial_dims != 2 && spatial_dims != 3) fail("spatial_dims must be 2 or 3");
  if (in_channels < 1) fail("in_channels must be >= 1");
  if (mask_channels < 0) fail("mask_channels must be >= 0");
  if (out_channels < 1) fail("out_channels must be >= 1");
  if (channels.empty()) fail("channels must list at least one level");
  for (int64_t c : channels)
    if (c < 1) fail("every channel count must be positive");
  if (num_res_blocks < 1) fail("num_res_blocks must be >= 1");
  if (kernel_size < 1 || kernel_size % 2 == 0) fail("kernel_size must be odd");
  if (static_cast<int64_t>(patch_size.size()) != spatial_dims ||
      static_cast<int64_t>(scale_factor.size()) != spatial_dims)
    fail("patch_size and scale_factor need one factor per spatial axis");
  for (size_t a = 0; a < patch_size.size(); ++a)
    if (patch_size[a] < 1 || scale_factor[a] < 1) fail("down-sampling factors must be >= 1");
  if (num_heads < 1 || attention_head_dim() < 1) fail("attention needs num_heads >= 1 and head_dim >= 1");
  if (widening_factor < 1 || num_transformer_layers < 0) fail("bad transformer settings");
  if (dropout < 0 || dropout >= 1) fail("dropout must be in [0, 1)");
  if (time_injection != "after_norm" && time_injection != "reference")
    fail("time_injection must be after_norm or reference");
  if (time_conditioning && channels.back() % 2 != 0) fail("the time embedding needs an even channels[-1]");
}

void UNetOptions::check_input_size(const std::vector<int64_t>& spatial) const {
  const auto f = total_downsampling();
  bool ok = static_cast<int64_t>(spatial.size()) == spatial_dims;
  for (size_t a = 0; ok && a < spatial.size(); ++a) ok = spatial[a] > 0 && spatial[a] % f[a] == 0;
  if (ok) return;
  std::ostringstream msg;
  msg << "input size ";
  for (size_t a = 0; a < spatial.size(); ++a) msg << (a ? "x" : "") << spatial[a];
  msg << " does not fit the network: each axis must be a multiple of its total down-sampling ";
  for (size_t a = 0; a < f.size(); ++a) msg << (a ? "x" : "") << f[a];
  msg << " (nearest valid: ";
  for (size_t a = 0; a < f.size() && a < spatial.size(); ++a)
    msg << (a ? "x" : "") << std::max<int64_t>(f[a], (spatial[a] + f[a] - 1) / f[a] * f[a]);
  msg << ")";
  throw UsageError(msg.str());
}

std::string UNetOptions::mirror_json() const {
  const nlohmann::json j = {{"spatial_dims", spatial_dims}, {"in_channels", in_channels},
                            {"mask_channels", mask_channels}, {"out_channels", out_channels},
                            {"channels", channels}, {"num_res_blocks", num_res_blocks},
                            {"kernel_size", kernel_size}, {"patch_size", patch_size},
                            {"scale_factor", scale_factor}, {"num_heads", num_heads},
                            {"head_dim", head_dim}, {"widening_factor", widening_factor},
                            {"num_transformer_layers", num_transformer_layers}, {"dropout", dropout},
                            {"time_conditioning", time_conditioning}, {"time_injection", time_injection}};
  return j.dump();
}

}  // namespace diffseg::model

#pragma once
// Settings of the UNet (method.md: Network). Torch-free so configs and the CLI can fill it without LibTorch headers.
#include <cstdint>
#include <string>
#include <vector>

namespace diffseg::model {

struct UNetOptions {
  int64_t spatial_dims = 2;                     // 2 or 3
  int64_t in_channels = 1;                      // image channels
  int64_t mask_channels = 2;                    // K (diffusion), 2K (self-conditioning), 0 (supervised)
  int64_t out_channels = 2;                     // K classes (logits)
  std::vector<int64_t> channels{32, 64, 128, 256};
  int64_t num_res_blocks = 2;
  int64_t kernel_size = 3;
  std::vector<int64_t> patch_size{2, 2};        // first down-sampling factor per axis
  std::vector<int64_t> scale_factor{2, 2};      // later down-sampling factors per axis
  int64_t num_heads = 8;
  int64_t head_dim = 0;                         // 0: channels[-1] / 4 (the reference: 64 for 256 channels)
  int64_t widening_factor = 4;                  // transformer MLP width = widening_factor * channels[-1]
  int64_t num_transformer_layers = 1;
  double dropout = 0.1;
  bool time_conditioning = true;                // false: supervised network (no time branch in the blocks)
  // Where a residual block adds its time projection. "after_norm" (default): Norm(conv2(h)) + Dense(GELU(e)).
  // "reference": conv2(h) + Dense(GELU(e)) before the norm, as the reference does (method.md) — there the
  // per-channel instance norm subtracts the spatially constant shift again, so the time has no effect at all.
  std::string time_injection = "after_norm";
  bool gradient_checkpointing = false;          // residual blocks recompute their activations in backward

  // Total down-sampling per axis (patch_size * scale_factor^(levels-2)); input sizes must be multiples of it.
  std::vector<int64_t> total_downsampling() const;
  // Throws UsageError with the reason when the options are inconsistent.
  void validate() const;
  // "480x512 is not divisible by 8x8; valid sizes are multiples, e.g. 480x512 → ..." style check.
  void check_input_size(const std::vector<int64_t>& spatial) const;
  int64_t attention_head_dim() const { return head_dim > 0 ? head_dim : channels.back() / 4; }
  // The options as the JSON object bench/reference/unet.py (the PyTorch mirror) builds its network from.
  std::string mirror_json() const;
};

}  // namespace diffseg::model

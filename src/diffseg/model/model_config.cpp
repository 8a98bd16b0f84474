#include "diffseg/model/model_config.h"

namespace diffseg::model {

UNetOptions unet_options_from_config(const Config& c, int64_t mask_channels, bool time_conditioning) {
  UNetOptions o;
  o.spatial_dims = c.get<int64_t>("data.spatial_dims", o.spatial_dims);
  o.in_channels = c.get<int64_t>("data.image_channels", o.in_channels);
  o.out_channels = c.require<int64_t>("data.num_classes");
  o.mask_channels = mask_channels;
  o.time_conditioning = time_conditioning;
  o.channels = c.get<std::vector<int64_t>>("model.channels", o.channels);
  o.num_res_blocks = c.get<int64_t>("model.num_res_blocks", o.num_res_blocks);
  o.kernel_size = c.get<int64_t>("model.kernel_size", o.kernel_size);
  const std::vector<int64_t> twos(static_cast<size_t>(o.spatial_dims), 2);
  o.patch_size = c.get<std::vector<int64_t>>("model.patch_size", twos);
  o.scale_factor = c.get<std::vector<int64_t>>("model.scale_factor", twos);
  o.num_heads = c.get<int64_t>("model.num_heads", o.num_heads);
  o.head_dim = c.get<int64_t>("model.head_dim", o.head_dim);
  o.widening_factor = c.get<int64_t>("model.widening_factor", o.widening_factor);
  o.num_transformer_layers = c.get<int64_t>("model.num_transformer_layers", o.num_transformer_layers);
  o.dropout = c.get<double>("model.dropout", o.dropout);
  o.time_injection = c.get<std::string>("model.time_injection", o.time_injection);
  o.gradient_checkpointing = c.get<bool>("model.gradient_checkpointing", o.gradient_checkpointing);
  o.validate();
  return o;
}

}  // namespace diffseg::model

#pragma once
// UNetOptions from a run config: `data.spatial_dims`, `data.image_channels`, `data.num_classes` and the `model:`
// section. What the strategy feeds the network (mask channels, time) is passed in by the caller.
#include "diffseg/core/config.h"
#include "diffseg/model/unet_options.h"

namespace diffseg::model {

UNetOptions unet_options_from_config(const Config& config, int64_t mask_channels, bool time_conditioning);

}  // namespace diffseg::model

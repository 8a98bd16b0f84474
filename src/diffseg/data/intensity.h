#pragma once
// Offline intensity normalisation (docs/datasets.md): clip to a range, then rescale that range linearly to [0, 1], per
// channel. The range is either fixed (a CT window in HU) or two percentiles of the channel's own values (MR).
#include "diffseg/io/image.h"

namespace diffseg::data {

// Percentile of the values with NumPy's default (linear) interpolation; q in [0, 100] — 0.95 means 0.95 %.
double percentile(const io::Image& single_channel, double q);

// Every channel clipped to [low, high] and mapped to [0, 1]; returns float32.
io::Image clip_and_rescale(const io::Image& image, double low, double high);

// Per channel: clipped to [percentile(q_low), percentile(q_high)] and mapped to [0, 1]. A constant channel
// becomes 0.
io::Image percentile_clip_and_rescale(const io::Image& image, double q_low, double q_high);

}  // namespace diffseg::data

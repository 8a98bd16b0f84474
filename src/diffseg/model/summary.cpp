#include "diffseg/model/summary.h"

#include <cstdio>
#include <map>

namespace diffseg::model {

namespace {
int64_t volume(const std::vector<int64_t>& s) {
  int64_t v = 1;
  for (int64_t x : s) v *= x;
  return v;
}
std::string shape_text(const std::vector<int64_t>& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += 'x';
    out += std::to_string(s[i]);
  }
  return out;
}
// Tensors a block keeps for backward, in units of its output size (conv, norm, GELU, dropout mask, sums).
constexpr double kResBlockTensors = 10.0, kResampleTensors = 2.0, kStemTensors = 3.0;
}  // namespace

ModelSummary summarise(UNet& net, const std::vector<int64_t>& input, int64_t batch) {
  const UNetOptions& o = net->options();
  o.check_input_size(input);
  // Parameters grouped by the first one or two name components (stem, encoder.i, bottom_in, transformer, ...).
  std::map<std::string, int64_t> params;
  ModelSummary s;
  for (const auto& p : net->named_parameters()) {
    std::string key = p.key().substr(0, p.key().find('.'));
    if (key == "encoder" || key == "decoder") {
      const auto second = p.key().find('.', key.size() + 1);
      key = p.key().substr(0, second);
    }
    params[key] += p.value().numel();
    s.total_parameters += p.value().numel();
  }
  const int64_t levels = static_cast<int64_t>(o.channels.size());
  std::vector<std::vector<int64_t>> size(static_cast<size_t>(levels));
  size[0] = input;
  for (int64_t i = 1; i < levels; ++i) {
    size[i] = size[i - 1];
    for (size_t a = 0; a < input.size(); ++a) size[i][a] /= (i == 1 ? o.patch_size[a] : o.scale_factor[a]);
  }
  const double b = static_cast<double>(batch), bytes = 4.0;
  // With checkpointing a residual block keeps only its input; backward recomputes one block at a time, which adds
  // the largest block's activations once (below).
  const double res_tensors = o.gradient_checkpointing ? 1.0 : kResBlockTensors;
  auto act = [&](int64_t level, double tensors) {
    return tensors * b * static_cast<double>(o.channels[level] * volume(size[level])) * bytes;
  };
  s.rows.push_back({"stem", o.channels[0], size[0], params["stem"]});
  s.activation_bytes += act(0, kStemTensors);
  for (int64_t i = 0; i < levels; ++i) {
    const int64_t out_level = i + 1 < levels ? i + 1 : i;
    s.rows.push_back({"encoder." + std::to_string(i), o.channels[out_level], size[out_level],
                      params["encoder." + std::to_string(i)]});
    s.activation_bytes += act(i, res_tensors * static_cast<double>(o.num_res_blocks));
    if (i + 1 < levels) s.activation_bytes += act(i + 1, kResampleTensors);
  }
  const int64_t top = levels - 1;
  const double tokens = static_cast<double>(volume(size[top]));
  const double width = static_cast<double>(o.channels[top]);
  s.rows.push_back({"bottom_in", o.channels[top], size[top], params["bottom_in"]});
  s.rows.push_back({"transformer", o.channels[top], size[top], params["transformer"]});
  s.rows.push_back({"bottom_out", o.channels[top], size[top], params["bottom_out"]});
  s.activation_bytes += act(top, 2 * res_tensors);
  // Attention: softmax weights and their dropout-free product per head (N x N), plus ~12 token-width tensors and
  // the MLP's 3 wide tensors per layer.
  const double layers = static_cast<double>(o.num_transformer_layers);
  s.activation_bytes += layers * b * bytes *
                        (2.0 * static_cast<double>(o.num_heads) * tokens * tokens + 12.0 * tokens * width +
                         3.0 * tokens * width * static_cast<double>(o.widening_factor));
  for (int64_t j = 0; j < levels; ++j) {
    const int64_t i = levels - 1 - j, out_level = i > 0 ? i - 1 : 0;
    s.rows.push_back({"decoder." + std::to_string(j), o.channels[out_level], size[out_level],
                      params["decoder." + std::to_string(j)]});
    s.activation_bytes += act(i, (res_tensors + 1) * static_cast<double>(o.num_res_blocks + 1));
    if (i > 0) s.activation_bytes += act(i - 1, kResampleTensors);
  }
  if (o.gradient_checkpointing) s.activation_bytes += act(0, kResBlockTensors);  // one block recomputed at a time
  s.rows.push_back({"head", o.out_channels, size[0], params["head"]});
  s.activation_bytes += b * static_cast<double>(o.out_channels * volume(size[0])) * bytes;
  s.optimizer_bytes = 4.0 * bytes * static_cast<double>(s.total_parameters);  // weights, grads, 2 Adam moments
  return s;
}

std::string format_summary(const ModelSummary& s, const UNetOptions& o, const std::vector<int64_t>& input,
                           int64_t batch) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "UNet %lldD: image %lld ch + mask %lld ch -> %lld classes, time %s, input %s\n",
                static_cast<long long>(o.spatial_dims), static_cast<long long>(o.in_channels),
                static_cast<long long>(o.mask_channels), static_cast<long long>(o.out_channels),
                o.time_conditioning ? ("on (" + o.time_injection + ")").c_str() : "off", shape_text(input).c_str());
  out += buf;
  std::snprintf(buf, sizeof buf, "%-14s %9s  %-16s %14s\n", "module", "channels", "output size", "parameters");
  out += buf;
  for (const ModuleRow& r : s.rows) {
    std::snprintf(buf, sizeof buf, "%-14s %9lld  %-16s %14lld\n", r.name.c_str(), static_cast<long long>(r.channels),
                  shape_text(r.spatial).c_str(), static_cast<long long>(r.parameters));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "%-14s %9s  %-16s %14lld\n", "total", "", "", static_cast<long long>(s.total_parameters));
  out += buf;
  std::snprintf(buf, sizeof buf,
                "training step at batch %lld (float32, estimate%s): activations %.2f GiB + weights/grads/AdamW %.2f GiB\n",
                static_cast<long long>(batch), o.gradient_checkpointing ? ", gradient checkpointing" : "", s.activation_bytes / (1u << 30), s.optimizer_bytes / (1u << 30));
  out += buf;
  return out;
}

}  // namespace diffseg::model

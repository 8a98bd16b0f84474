#include "diffseg/model/supervised_init.h"

#include "diffseg/core/error.h"

namespace diffseg::model {
namespace fs = std::filesystem;

void initialise_from_supervised(UNet& net, const std::map<std::string, torch::Tensor>& supervised,
                                const fs::path& source) {
  const UNetOptions& options = net->options();
  UNetOptions plain = options;  // the supervised network of this run: what the weights must fit
  plain.mask_channels = 0;
  plain.time_conditioning = false;
  const UNet expected(plain);
  const auto refuse = [&](const std::string& why) {
    throw UsageError(source.string() + ": " + why + "; --init-from needs the weights of a supervised network with "
                     "this run's image channels, classes and model settings");
  };
  for (const auto& [name, t] : supervised)
    if (name.find("time_proj.") != std::string::npos)
      refuse("holds a network with a time branch ('" + name + "'), a diffusion strategy's, not a supervised one");
  std::map<std::string, torch::Tensor> wanted;
  for (const auto& p : expected->named_parameters()) wanted[p.key()] = p.value();
  for (const auto& b : expected->named_buffers()) wanted[b.key()] = b.value();
  for (const auto& [name, t] : wanted) {
    const auto it = supervised.find(name);
    if (it == supervised.end()) refuse("has no weight '" + name + "' (another number of levels or blocks?)");
    if (it->second.sizes() == t.sizes()) continue;
    const bool more_inputs = it->second.dim() == t.dim() && t.dim() > 1 && it->second.size(0) == t.size(0) &&
                             it->second.size(1) > t.size(1);
    if (more_inputs && name.rfind("stem.", 0) == 0)
      refuse("weight '" + name + "' reads " + std::to_string(it->second.size(1)) + " input channels where this " +
             "run's image has " + std::to_string(t.size(1)) + ": a network with mask channels (a diffusion " +
             "strategy's), or one trained on images with more channels");
    refuse("weight '" + name + "' has shape " + c10::str(it->second.sizes()) + ", this run's supervised network " +
           "needs " + c10::str(t.sizes()) + " (another number of classes, image channels, widths, kernel size or " +
           "spatial dimensions?)");
  }
  for (const auto& [name, t] : supervised)
    if (!wanted.count(name)) refuse("unexpected weight '" + name + "' (another number of levels or blocks?)");

  torch::NoGradGuard no_grad;
  const auto fill = [&](const std::string& name, torch::Tensor& dst) {
    const auto it = supervised.find(name);
    if (it == supervised.end()) {  // only the diffusion network has it: the time projections
      dst.zero_();
    } else if (it->second.sizes() == dst.sizes()) {
      dst.copy_(it->second);
    } else {  // the stem convolution (out, image + mask channels, k...): image part copied, mask part zero
      dst.zero_();
      dst.narrow(1, 0, it->second.size(1)).copy_(it->second);
    }
  };
  for (auto& p : net->named_parameters()) fill(p.key(), p.value());
  for (auto& b : net->named_buffers()) fill(b.key(), b.value());
}

}  // namespace diffseg::model

#include "diffseg/model/checkpointing.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

namespace diffseg::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The generator dropout draws from on `device`: the CPU one (hash dropout's seeds) or the GPU's own (torch's
// dropout on CUDA tensors).
at::Generator generator_of(c10::Device device) {
  return device.is_cpu() ? at::detail::getDefaultCPUGenerator() : at::globalContext().defaultGenerator(device);
}
at::Tensor rng_state(c10::Device device) {
  at::Generator g = generator_of(device);
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}
void set_rng_state(c10::Device device, const at::Tensor& s) {
  at::Generator g = generator_of(device);
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(s);
}

struct Checkpoint : public torch::autograd::Function<Checkpoint> {
  // Tensor lists must arrive as TensorList: a std::vector argument would be taken for a non-tensor argument and
  // no gradient edges would be recorded.
  static variable_list forward(AutogradContext* ctx, const BlockFunction* fn, at::TensorList inputs,
                               at::TensorList params) {
    ctx->saved_data["fn"] = reinterpret_cast<int64_t>(fn);
    const c10::Device device = inputs.empty() ? c10::Device(c10::kCPU) : inputs[0].device();
    ctx->saved_data["rng"] = rng_state(c10::kCPU);
    if (!device.is_cpu()) ctx->saved_data["rng_device"] = rng_state(device);
    ctx->saved_data["n_inputs"] = static_cast<int64_t>(inputs.size());
    variable_list to_save(inputs.begin(), inputs.end());
    to_save.insert(to_save.end(), params.begin(), params.end());
    ctx->save_for_backward(to_save);
    torch::NoGradGuard no_grad;
    return {(*fn)(inputs.vec())};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto* fn = reinterpret_cast<const BlockFunction*>(ctx->saved_data["fn"].toInt());
    const int64_t n_inputs = ctx->saved_data["n_inputs"].toInt();
    const variable_list saved = ctx->get_saved_variables();
    variable_list inputs, params;
    for (int64_t i = 0; i < n_inputs; ++i) {
      const bool needs = saved[i].requires_grad();
      inputs.push_back(saved[i].detach().requires_grad_(needs || saved[i].is_floating_point()));
    }
    for (size_t i = static_cast<size_t>(n_inputs); i < saved.size(); ++i) params.push_back(saved[i]);
    const c10::Device device = saved.empty() ? c10::Device(c10::kCPU) : saved[0].device();
    const at::Tensor after_forward = rng_state(c10::kCPU);
    set_rng_state(c10::kCPU, ctx->saved_data["rng"].toTensor());
    at::Tensor after_forward_device;
    if (!device.is_cpu()) {
      after_forward_device = rng_state(device);
      set_rng_state(device, ctx->saved_data["rng_device"].toTensor());
    }
    at::Tensor out;
    {
      torch::AutoGradMode enable(true);
      out = (*fn)(inputs);
    }
    set_rng_state(c10::kCPU, after_forward);
    if (!device.is_cpu()) set_rng_state(device, after_forward_device);
    variable_list wrt(inputs);
    wrt.insert(wrt.end(), params.begin(), params.end());
    const variable_list grads =
        torch::autograd::grad({out}, wrt, {grad_outputs[0]}, /*retain_graph=*/false, /*create_graph=*/false,
                              /*allow_unused=*/true);
    variable_list result{at::Tensor()};  // for fn
    result.insert(result.end(), grads.begin(), grads.end());
    return result;
  }
};

}  // namespace

torch::Tensor checkpointed(const BlockFunction* fn, const std::vector<torch::Tensor>& inputs,
                           const std::vector<torch::Tensor>& params) {
  return Checkpoint::apply(fn, at::TensorList(inputs), at::TensorList(params))[0];
}

}  // namespace diffseg::model

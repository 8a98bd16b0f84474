#include "diffseg/model/checkpointing.h"

#include <ATen/CPUGeneratorImpl.h>

namespace diffseg::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Tensor rng_state() {
  at::Generator g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}
void set_rng_state(const at::Tensor& s) {
  at::Generator g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(s);
}

struct Checkpoint : public torch::autograd::Function<Checkpoint> {
  // Tensor lists must arrive as TensorList: a std::vector argument would be taken for a non-tensor argument and
  // no gradient edges would be recorded.
  static variable_list forward(AutogradContext* ctx, const BlockFunction* fn, at::TensorList inputs,
                               at::TensorList params) {
    ctx->saved_data["fn"] = reinterpret_cast<int64_t>(fn);
    ctx->saved_data["rng"] = rng_state();
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
    const at::Tensor after_forward = rng_state();
    set_rng_state(ctx->saved_data["rng"].toTensor());
    at::Tensor out;
    {
      torch::AutoGradMode enable(true);
      out = (*fn)(inputs);
    }
    set_rng_state(after_forward);
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

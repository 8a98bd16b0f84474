#include "diffseg/dist/gradient_reducer.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/torch.h>

#include "diffseg/core/torch_compat.h"

namespace diffseg::dist {

namespace {

// Called by autograd right after a parameter's gradient has been accumulated into .grad.
class AccumulatedHook : public torch::autograd::FunctionPostHook {
 public:
  explicit AccumulatedHook(std::function<void()> fn) : fn_(std::move(fn)) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    fn_();
    return outputs;
  }

 private:
  std::function<void()> fn_;
};

// Flat buffers of at most `bytes`, filled from the back of `tensors`; returns each bucket's tensor indices.
std::vector<std::vector<size_t>> bucket_indices(const std::vector<at::Tensor>& tensors, int64_t bytes) {
  std::vector<std::vector<size_t>> buckets;
  int64_t filled = bytes;
  for (size_t k = tensors.size(); k-- > 0;) {
    const int64_t n = tensors[k].numel() * static_cast<int64_t>(tensors[k].element_size());
    const bool same_kind = !buckets.empty() && tensors[buckets.back().front()].scalar_type() == tensors[k].scalar_type();
    if (filled + n > bytes || !same_kind) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(k);
    filled += n;
  }
  return buckets;
}

}  // namespace

void broadcast_tensors(Group& group, const std::vector<at::Tensor>& tensors) {
  if (group.size() == 1 || tensors.empty()) return;
  torch::NoGradGuard no_grad;
  for (const auto& indices : bucket_indices(tensors, 25ll << 20)) {
    std::vector<at::Tensor> parts;
    for (size_t k : indices) parts.push_back(tensors[k].detach().reshape(-1));
    at::Tensor flat = torch::cat(parts);
    group.broadcast(flat, 0);
    int64_t offset = 0;
    for (size_t k : indices) {
      const int64_t n = tensors[k].numel();
      tensors[k].detach().copy_(flat.narrow(0, offset, n).view_as(tensors[k]));
      offset += n;
    }
  }
}

GradientReducer::GradientReducer(std::shared_ptr<Group> group, std::vector<at::Tensor> parameters,
                                 ReducerOptions options)
    : group_(std::move(group)), params_(std::move(parameters)), options_(options) {
  bucket_of_.resize(params_.size());
  offset_of_.resize(params_.size());
  packed_.assign(params_.size(), false);
  for (const auto& indices : bucket_indices(params_, options_.bucket_bytes)) {
    Bucket b;
    int64_t offset = 0;
    for (size_t k : indices) {
      bucket_of_[k] = buckets_.size();
      offset_of_[k] = offset;
      b.params.push_back(k);
      b.offsets.push_back(offset);
      offset += params_[k].numel();
    }
    b.flat = torch::zeros({offset}, params_[indices.front()].options().requires_grad(false));
    buckets_.push_back(std::move(b));
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    if (!params_[k].requires_grad()) continue;  // never gets a gradient: finish() packs zeros for it
    auto acc = torch::autograd::impl::grad_accumulator(params_[k]);
    // Hooks cannot be removed from a node; the shared flag turns them off when the reducer goes away first.
    acc->add_post_hook(std::make_unique<AccumulatedHook>([alive = alive_, this, k] {
      if (*alive) on_accumulated(k);
    }));
    accumulators_.push_back(torch_compat::keep_alive(std::move(acc)));
  }
}

GradientReducer::~GradientReducer() { *alive_ = false; }

int64_t GradientReducer::bytes_per_step() const {
  int64_t total = 0;
  for (const auto& b : buckets_) total += b.flat.numel() * static_cast<int64_t>(b.flat.element_size());
  return total;
}

void GradientReducer::begin_backward(bool last) {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = last && options_.overlap;
}

void GradientReducer::pack(size_t k) {
  Bucket& b = buckets_[bucket_of_[k]];
  at::Tensor slot = b.flat.narrow(0, offset_of_[k], params_[k].numel());
  const at::Tensor& g = params_[k].grad();
  if (g.defined()) slot.copy_(g.reshape(-1));
  else slot.zero_();  // a parameter this step did not use contributes zero, as DDP's find_unused_parameters does
  packed_[k] = true;
  ++b.ready;
}

void GradientReducer::launch_in_order() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].ready == buckets_[next_launch_].params.size()) {
    Bucket& b = buckets_[next_launch_++];
    b.pending = group_->allreduce_sum_async(b.flat);
    b.launched = true;
  }
}

void GradientReducer::on_accumulated(size_t k) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_ || packed_[k]) return;
  pack(k);
  launch_in_order();
}

void GradientReducer::finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;
    for (size_t k = 0; k < params_.size(); ++k)
      if (!packed_[k]) pack(k);
    launch_in_order();
  }
  torch::NoGradGuard no_grad;
  const double inverse = 1.0 / static_cast<double>(group_->size());  // Gloo has no average: sum, then divide
  for (Bucket& b : buckets_) {
    b.pending.wait();
    b.flat.mul_(inverse);
    for (size_t i = 0; i < b.params.size(); ++i) {
      at::Tensor& p = params_[b.params[i]];
      const at::Tensor mean = b.flat.narrow(0, b.offsets[i], p.numel()).view_as(p);
      if (p.grad().defined()) p.mutable_grad().copy_(mean);
      else p.mutable_grad() = mean.clone();
    }
    b.ready = 0;
    b.launched = false;
  }
  next_launch_ = 0;
  std::fill(packed_.begin(), packed_.end(), false);
}

}  // namespace diffseg::dist

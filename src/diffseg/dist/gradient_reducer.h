#pragma once
// Data-parallel gradient averaging as DDP does it: the parameters are packed into buckets of about 25 MB (in
// reverse order, the order backward produces their gradients), and a bucket's all-reduce starts as soon as the
// last of its gradients has been accumulated, while backward still computes the rest. Buckets start in a fixed
// order on every rank, whatever order the hooks fire in, so the collectives always match. With gradient
// accumulation only the last micro-batch's backward communicates.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <ATen/core/Tensor.h>

#include "diffseg/dist/process_group.h"

namespace diffseg::dist {

struct ReducerOptions {
  int64_t bucket_bytes = 25ll << 20;
  bool overlap = true;  // false: one pass over the buckets after backward (for measuring what overlap gains)
};

// Rank 0's values of `tensors` (parameters, buffers) on every rank, in place.
void broadcast_tensors(Group& group, const std::vector<at::Tensor>& tensors);

class GradientReducer {
 public:
  GradientReducer(std::shared_ptr<Group> group, std::vector<at::Tensor> parameters, ReducerOptions options = {});
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Before each micro-batch's backward; `last`: this backward completes the step's gradient (communicate now).
  void begin_backward(bool last);
  // After the last backward: each parameter's gradient becomes the mean over the ranks of its accumulated sum.
  void finish();

  size_t bucket_count() const { return buckets_.size(); }
  int64_t bytes_per_step() const;  // gradient bytes each rank all-reduces per optimizer step

 private:
  struct Bucket {
    at::Tensor flat;
    std::vector<size_t> params;
    std::vector<int64_t> offsets;
    size_t ready = 0;
    bool launched = false;
    Pending pending;
  };
  void on_accumulated(size_t param);
  void pack(size_t param);
  void launch_in_order();

  std::shared_ptr<Group> group_;
  std::vector<at::Tensor> params_;
  ReducerOptions options_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;
  std::vector<int64_t> offset_of_;
  std::vector<bool> packed_;
  std::vector<std::shared_ptr<void>> accumulators_;  // torch_compat::keep_alive: the hooks stay attached
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
  size_t next_launch_ = 0;
  bool armed_ = false;
  std::mutex mutex_;
};

}  // namespace diffseg::dist

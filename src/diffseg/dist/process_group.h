#pragma once
// The processes of one job and the collectives diffseg needs between them, on PyTorch's own c10d: a TCPStore for
// rendezvous (hosted by rank 0, or by torchrun's agent), ProcessGroupGloo on CPU and ProcessGroupNCCL for CUDA
// tensors when LibTorch was built with it. A world of one process has no store and no backend: every collective
// returns at once, so the single-process path pays nothing.
//
// Failures never hang: every collective waits at most `timeout`, and when one fails the error names the ranks that
// stopped showing signs of life (each rank touches a key in the store every second).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "diffseg/dist/launch_env.h"

namespace diffseg::dist {

// The device a rank computes on: `requested`, or for a bare "cuda" in a distributed job, cuda:LOCAL_RANK (one GPU
// per local process, as torchrun lays them out); a CUDA device is also made the current one.
c10::Device device_for_rank(c10::Device requested, const LaunchEnv& env);

struct GroupOptions {
  std::chrono::seconds timeout{300};  // dist.timeout_s: longest wait for a peer, at start and in any collective
  c10::Device device{c10::kCPU};      // the tensors' device: NCCL for CUDA where available, Gloo otherwise
};

// A collective started in the background (the gradient all-reduce runs while backward goes on).
class Pending {
 public:
  Pending() = default;
  explicit Pending(std::function<void()> wait) : wait_(std::move(wait)) {}
  void wait();  // DistributedError if the collective failed or timed out

 private:
  std::function<void()> wait_;
};

class Group {
 public:
  // One process, no communication.
  static std::shared_ptr<Group> single();
  // Joins the job described by `env` (single() when env.world_size == 1). DistributedError when the peers do not
  // all arrive within options.timeout, naming the missing ranks.
  static std::shared_ptr<Group> join(const LaunchEnv& env, const GroupOptions& options);

  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_main() const { return rank_ == 0; }
  const std::string& backend_name() const { return backend_name_; }

  // Sum over ranks, in place (every rank gets the result).
  void allreduce_sum(at::Tensor& tensor);
  Pending allreduce_sum_async(at::Tensor& tensor);
  // `tensor` on every rank becomes rank `root`'s.
  void broadcast(at::Tensor& tensor, int root = 0);
  // (size, *tensor.sizes()): every rank's tensor, in rank order; all ranks pass the same shape.
  at::Tensor allgather(const at::Tensor& tensor);
  // Any bytes, any length per rank, through the store (small messages: result rows, error reports).
  std::vector<std::string> allgather_strings(const std::string& text);
  void barrier();
  // A barrier through the store that waits as long as the ranks not there yet are alive (up to 12 × timeout): for
  // the end of phases whose work differs between ranks (evaluation and validation shards).
  void wait_for_all();
  // Runs `work` on this rank; if it throws on any rank, every rank throws (the failing one its own error, the
  // others a DistributedError naming it), so no rank waits in a collective for a peer that gave up.
  void run_everywhere(const std::string& what, const std::function<void()>& work);
  // DistributedError on every rank, naming the ranks whose `fingerprint` differs from rank 0's, when they differ.
  void require_identical(const std::string& what, uint64_t fingerprint);

  struct Impl;

 private:
  Group(int rank, int size, std::unique_ptr<Impl> impl);
  void run(const std::string& what, const std::function<void()>& collective);
  int rank_ = 0, size_ = 1;
  std::string backend_name_ = "none";
  std::unique_ptr<Impl> impl_;
};

}  // namespace diffseg::dist

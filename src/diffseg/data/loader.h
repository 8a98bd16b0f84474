#pragma once
// Training batches from a CaseCache, produced by worker threads into a bounded prefetch queue. The stream is one
// of global batches: global batch s (one optimizer step) holds G = world size × batch size × accumulation steps
// samples, sample j of it is case perm_e[(s mod E)·G + j] of epoch e's seeded permutation, augmented with the seed
// (seed, s, j). This process gets its slice: micro-batch m of step s on rank r is samples
// [(m·world + r)·batch, +batch). So the same seed gives the same samples whatever the thread timing, the number of
// workers, or how the global batch is split over ranks and accumulation steps, the ranks read disjoint shards of
// every epoch, and a resumed run continues the stream exactly (start_batch).
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>

#include "diffseg/data/augment.h"
#include "diffseg/data/case_cache.h"

namespace diffseg::data {

struct LoaderOptions {
  int64_t batch_size = 8;
  std::vector<int64_t> patch;  // tensor axis order; empty = whole images (all must share one size)
  bool augment = true;
  AugmentOptions augmentation;
  int workers = 2;
  int prefetch = 4;            // batches ready ahead of the consumer
  uint64_t seed = 0;
  int rank = 0, world_size = 1;  // this process's slice of each global batch
  int64_t accumulate_steps = 1;  // micro-batches per optimizer step
  bool pin_memory = false;       // page-locked batches (training on a GPU): the copy to the device runs async
  int64_t global_batch() const { return batch_size * world_size * accumulate_steps; }
};

struct Batch {
  int64_t index = 0;                 // position in this process's stream of micro-batches
  int64_t step = 0;                  // the optimizer step (global batch) it belongs to
  int64_t first_sample = 0;          // index of its first sample in the global batch
  at::Tensor image;                  // float32 (B, C, *patch)
  at::Tensor label;                  // int64 (B, *patch)
  std::vector<std::string> ids;
};

class BatchLoader {
 public:
  BatchLoader(std::shared_ptr<const CaseCache> cases, LoaderOptions options, int64_t start_batch = 0);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch in stream order; rethrows a worker's exception.
  Batch next();
  int64_t batches_per_epoch() const { return batches_per_epoch_; }

  // Builds micro-batch `index` of this process's stream directly (what the workers run); public for tests.
  Batch make_batch(int64_t index) const;

 private:
  void work();

  std::shared_ptr<const CaseCache> cases_;
  LoaderOptions options_;
  int64_t batches_per_epoch_;
  std::mutex mutex_;
  std::condition_variable produced_, consumed_;
  std::map<int64_t, Batch> ready_;
  int64_t next_to_make_, next_to_return_;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> workers_;
};

}  // namespace diffseg::data

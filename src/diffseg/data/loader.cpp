#include "diffseg/data/loader.h"

#include <omp.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/core/seed.h"
#include "diffseg/data/patches.h"

namespace diffseg::data {

namespace {
at::Generator generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }
}  // namespace

BatchLoader::BatchLoader(std::shared_ptr<const CaseCache> cases, LoaderOptions options, int64_t start_batch)
    : cases_(std::move(cases)), options_(std::move(options)), next_to_make_(start_batch), next_to_return_(start_batch) {
  if (!cases_ || cases_->size() == 0) throw UsageError("the training split has no cases");
  for (const CachedCase& c : cases_->cases())
    if (!c.label.defined()) throw InputError(c.id, "training case has no label");
  if (options_.batch_size < 1) throw UsageError("batch size must be >= 1");
  if (options_.accumulate_steps < 1) throw UsageError("train.accumulate_steps must be >= 1");
  if (options_.world_size < 1 || options_.rank < 0 || options_.rank >= options_.world_size)
    throw UsageError("loader rank " + std::to_string(options_.rank) + " is outside a world of " +
                     std::to_string(options_.world_size));
  // Global batches are drawn from the epoch permutation with wrap-around, so any batch size works with few cases.
  batches_per_epoch_ = std::max<int64_t>(1, static_cast<int64_t>(cases_->size()) / options_.global_batch());
  const int workers = std::max(1, options_.workers);
  for (int w = 0; w < workers; ++w) workers_.emplace_back([this] { work(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  consumed_.notify_all();
  produced_.notify_all();
  for (auto& t : workers_) t.join();
}

Batch BatchLoader::make_batch(int64_t index) const {
  const int64_t n = static_cast<int64_t>(cases_->size()), global = options_.global_batch();
  const int64_t step = index / options_.accumulate_steps, micro = index % options_.accumulate_steps;
  const int64_t epoch = step / batches_per_epoch_, within = step % batches_per_epoch_;
  const at::Tensor perm = torch::randperm(n, generator(mix_seed(options_.seed, static_cast<uint64_t>(epoch))), torch::kLong);
  Batch b;
  b.index = index;
  b.step = step;
  b.first_sample = (micro * options_.world_size + options_.rank) * options_.batch_size;
  std::vector<at::Tensor> images, labels;
  for (int64_t i = 0; i < options_.batch_size; ++i) {
    const int64_t slot = b.first_sample + i;
    const int64_t k = perm[(within * global + slot) % n].item<int64_t>();
    const CachedCase& c = (*cases_)[static_cast<size_t>(k)];
    at::Generator g = generator(mix_seed(mix_seed(options_.seed ^ 0xA5A5A5A5ull, static_cast<uint64_t>(step)),
                                    static_cast<uint64_t>(slot)));
    at::Tensor image = c.image, label = c.label;
    if (options_.augment) augment_geometry(image, label, c.spacing, options_.augmentation, g);
    if (!options_.patch.empty()) random_crop(image, label, options_.patch, g);
    image = options_.augment ? augment_intensity(image, options_.augmentation, g) : rescale_intensity(image);
    images.push_back(image.to(torch::kFloat));
    labels.push_back(label.to(torch::kLong));
    b.ids.push_back(c.id);
  }
  try {
    b.image = torch::stack(images);
    b.label = torch::stack(labels);
  } catch (const std::exception&) {
    throw UsageError("training images differ in size; set a patch size (--patch) to crop them to one shape");
  }
  if (options_.pin_memory) {  // in the worker thread, so the page-locking is off the training thread too
    b.image = b.image.pin_memory();
    b.label = b.label.pin_memory();
  }
  return b;
}

void BatchLoader::work() {
  omp_set_num_threads(1);  // workers run in parallel with each other and with training: no nested thread teams
  torch::NoGradGuard no_grad;
  while (true) {
    int64_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      consumed_.wait(lock, [&] { return stopping_ || next_to_make_ < next_to_return_ + options_.prefetch; });
      if (stopping_) return;
      index = next_to_make_++;
    }
    try {
      Batch b = make_batch(index);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(index, std::move(b));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      stopping_ = true;
    }
    produced_.notify_all();
  }
}

Batch BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  produced_.wait(lock, [&] { return error_ || ready_.count(next_to_return_) > 0; });
  if (error_) std::rethrow_exception(error_);
  Batch b = std::move(ready_.at(next_to_return_));
  ready_.erase(next_to_return_);
  ++next_to_return_;
  lock.unlock();
  consumed_.notify_all();
  return b;
}

}  // namespace diffseg::data

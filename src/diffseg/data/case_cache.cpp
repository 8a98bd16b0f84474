#include "diffseg/data/case_cache.h"

#include <mutex>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"

#include "diffseg/core/parallel.h"
#include "diffseg/core/progress.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/io/case_loader.h"

namespace diffseg::data {

CaseCache::CaseCache(const io::Dataset& dataset, const std::string& split, int threads, bool skip_bad) {
  const auto& entries = dataset.split(split);
  cases_.resize(entries.size());
  std::vector<std::string> errors(entries.size());
  Progress progress("load " + split, static_cast<int64_t>(entries.size()), "cases");
  std::mutex progress_mutex;
  parallel_for(static_cast<int64_t>(entries.size()), threads, [&](int64_t i) {
    io::Case c;
    try {
      c = io::load_case(dataset, entries[static_cast<size_t>(i)]);
    } catch (const InputError& e) {
      if (!skip_bad) throw;
      errors[static_cast<size_t>(i)] = e.what();
      std::lock_guard<std::mutex> lock(progress_mutex);
      progress.advance();
      return;
    }
    CachedCase& out = cases_[static_cast<size_t>(i)];
    out.id = c.id;
    out.spatial_dims = c.image.spatial_dims();
    out.geometry = c.image.geometry();
    out.image = to_tensor(c.image);
    if (!c.label.empty()) out.label = to_tensor(c.label).squeeze(0).to(torch::kByte);
    const auto& sp = c.image.geometry().spacing;
    out.spacing = out.spatial_dims == 2 ? std::vector<double>{sp[1], sp[0]} : std::vector<double>{sp[2], sp[1], sp[0]};
    std::lock_guard<std::mutex> lock(progress_mutex);
    progress.advance();
  });
  progress.finish();
  std::vector<CachedCase> good;
  for (size_t i = 0; i < cases_.size(); ++i) {
    if (errors[i].empty()) {
      good.push_back(std::move(cases_[i]));
    } else {
      spdlog::error("skipping case: {}", errors[i]);
      failures_.push_back(errors[i]);
    }
  }
  cases_ = std::move(good);
}

}  // namespace diffseg::data

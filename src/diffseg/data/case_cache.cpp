#include "diffseg/data/case_cache.h"

#include <torch/torch.h>

#include "diffseg/core/parallel.h"
#include "diffseg/core/progress.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/io/case_loader.h"

namespace diffseg::data {

CaseCache::CaseCache(const io::Dataset& dataset, const std::string& split, int threads) {
  const auto& entries = dataset.split(split);
  cases_.resize(entries.size());
  Progress progress("load " + split, static_cast<int64_t>(entries.size()), "cases");
  std::mutex progress_mutex;
  parallel_for(static_cast<int64_t>(entries.size()), threads, [&](int64_t i) {
    const io::Case c = io::load_case(dataset, entries[static_cast<size_t>(i)]);
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
}

}  // namespace diffseg::data

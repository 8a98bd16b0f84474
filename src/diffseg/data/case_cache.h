#pragma once
// The cases of one split, read once (in parallel, with a progress bar) and kept in memory as tensors, so training
// epochs never touch the disk. Geometry stays with each case for writing predictions back.
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "diffseg/io/dataset.h"
#include "diffseg/io/geometry.h"

namespace diffseg::data {

struct CachedCase {
  std::string id;
  at::Tensor image;             // float32 (C, *spatial)
  at::Tensor label;             // uint8 (*spatial); undefined when the entry has no label
  std::vector<double> spacing;  // mm, in tensor axis order ((y, x) or (z, y, x))
  io::Geometry geometry;
  int spatial_dims = 2;
};

class CaseCache {
 public:
  // Reads every entry of `split`; an unreadable case raises InputError naming its file.
  CaseCache(const io::Dataset& dataset, const std::string& split, int threads = 0);
  explicit CaseCache(std::vector<CachedCase> cases) : cases_(std::move(cases)) {}

  const std::vector<CachedCase>& cases() const { return cases_; }
  size_t size() const { return cases_.size(); }
  const CachedCase& operator[](size_t i) const { return cases_[i]; }

 private:
  std::vector<CachedCase> cases_;
};

}  // namespace diffseg::data

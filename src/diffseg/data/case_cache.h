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
  // Reads every entry of `split`. An unreadable case raises InputError naming its file, or, with `skip_bad`, is
  // reported in the log, listed in failures() and left out (evaluation goes on with the other cases).
  CaseCache(const io::Dataset& dataset, const std::string& split, int threads = 0, bool skip_bad = false);
  explicit CaseCache(std::vector<CachedCase> cases) : cases_(std::move(cases)) {}

  const std::vector<CachedCase>& cases() const { return cases_; }
  size_t size() const { return cases_.size(); }
  const CachedCase& operator[](size_t i) const { return cases_[i]; }
  const std::vector<std::string>& failures() const { return failures_; }  // "file: problem" per skipped case

 private:
  std::vector<CachedCase> cases_;
  std::vector<std::string> failures_;
};

}  // namespace diffseg::data

#include "diffseg/io/splits.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/core/seed.h"
#include "diffseg/io/json_file.h"

namespace diffseg::io {
namespace fs = std::filesystem;

namespace {
constexpr const char* kSplitNames[] = {"training", "validation", "test"};

template <class D>  // Dataset or const Dataset
auto& split_of(D& d, int i) { return i == 0 ? d.training : i == 1 ? d.validation : d.test; }
}  // namespace

SplitOptions SplitOptions::from_config(const Config& config) {
  SplitOptions o;
  o.split_file = config.get<std::string>("data.split_file", "");
  o.validation_fraction = config.get<double>("data.validation_fraction", o.validation_fraction);
  o.seed = static_cast<uint64_t>(config.get<int64_t>("data.split_seed", 0));
  if (o.validation_fraction < 0 || o.validation_fraction >= 1)
    throw UsageError("data.validation_fraction must be in [0, 1)");
  return o;
}

Dataset apply_split_file(const Dataset& dataset, const fs::path& split_file) {
  const nlohmann::json j = read_json_file(split_file);
  if (!j.is_object()) throw InputError(split_file, "a split file is an object {\"training\": [ids], ...}");

  std::map<std::string, DatasetEntry> by_id;
  for (int s = 0; s < 3; ++s)
    for (const DatasetEntry& e : split_of(dataset, s)) by_id.emplace(e.id, e);

  Dataset out = dataset;
  std::set<std::string> used;
  for (int s = 0; s < 3; ++s) {
    auto& entries = split_of(out, s);
    entries.clear();
    if (!j.contains(kSplitNames[s])) continue;
    const auto& ids = j[kSplitNames[s]];
    if (!ids.is_array()) throw InputError(split_file, std::string("\"") + kSplitNames[s] + "\" must be a list of ids");
    for (const auto& id_json : ids) {
      if (!id_json.is_string()) throw InputError(split_file, "case ids must be strings");
      const std::string id = id_json.get<std::string>();
      const auto found = by_id.find(id);
      if (found == by_id.end())
        throw InputError(split_file, "case '" + id + "' is not in " + (dataset.root / "dataset.json").string());
      if (!used.insert(id).second) throw InputError(split_file, "case '" + id + "' is listed twice");
      entries.push_back(found->second);
    }
  }
  return out;
}

Dataset hold_out_validation(const Dataset& dataset, double fraction, uint64_t seed) {
  Dataset out = dataset;
  if (!out.validation.empty() || fraction <= 0 || out.training.size() < 2) return out;
  const size_t n = out.training.size();
  const size_t n_val = std::clamp<size_t>(static_cast<size_t>(std::llround(fraction * static_cast<double>(n))), 1,
                                          n - 1);
  // Fisher-Yates with splitmix64 draws: the same on every platform and standard library.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[mix_seed(seed, i) % (i + 1)]);
  std::vector<bool> to_validation(n, false);
  for (size_t i = 0; i < n_val; ++i) to_validation[order[i]] = true;
  out.training.clear();
  for (size_t i = 0; i < n; ++i)
    (to_validation[i] ? out.validation : out.training).push_back(dataset.training[i]);
  return out;
}

void write_split_file(const Dataset& dataset, const fs::path& split_file) {
  nlohmann::json j = nlohmann::json::object();
  for (int s = 0; s < 3; ++s) {
    nlohmann::json ids = nlohmann::json::array();
    for (const DatasetEntry& e : split_of(dataset, s)) ids.push_back(e.id);
    j[kSplitNames[s]] = ids;
  }
  write_text_atomically(split_file, j.dump(2) + "\n");
}

Dataset read_dataset(const fs::path& folder_or_file, const SplitOptions& splits) {
  Dataset d = read_dataset(folder_or_file);
  if (!splits.split_file.empty()) {
    fs::path file = splits.split_file;
    if (file.is_relative() && !fs::exists(file) && fs::exists(d.root / file)) file = d.root / file;
    return apply_split_file(d, file);
  }
  return hold_out_validation(d, splits.validation_fraction, splits.seed);
}

}  // namespace diffseg::io

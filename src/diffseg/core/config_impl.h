#pragma once
// Template definitions for Config (kept out of config.h to keep that header readable).
#include "diffseg/core/error.h"

namespace diffseg {

template <class T>
T Config::get(const std::string& path, const T& fallback) const {
  const YAML::Node node = find(path);
  if (!node || node.IsNull()) return fallback;
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw UsageError("config key '" + path + "' has an invalid value: " + YAML::Dump(node));
  }
}

template <class T>
YAML::Node flow_list(const std::vector<T>& values) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const T& v : values) list.push_back(v);
  list.SetStyle(YAML::EmitterStyle::Flow);
  return list;
}

template <class T>
T Config::require(const std::string& path) const {
  if (!has(path)) throw UsageError("config key '" + path + "' is required");
  return get<T>(path, T{});
}

}  // namespace diffseg

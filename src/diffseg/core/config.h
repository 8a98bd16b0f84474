#pragma once
// Run configuration: a YAML document with dotted-path access and command-line overrides
// (`--set train.batch_size=4`). Torch-free; each part converts its own section into its options struct.
#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace diffseg {

// One setting of a run config: a dotted key and its YAML value. Code builds it from typed values
// (Setting{"data.path", YAML::Node(path)}), so nothing goes through text; only what a user typed
// ("--set train.batch_size=4") is parsed, by Setting::parse.
struct Setting {
  std::string key;
  YAML::Node value;
  // "a.b.c=value", the value parsed as YAML (3, 0.1, [1, 2], true, "text"); UsageError on bad syntax.
  static Setting parse(const std::string& assignment);
};
std::vector<Setting> parse_settings(const std::vector<std::string>& assignments);
// A list as configs write it, inline: [64, 48].
template <class T> YAML::Node flow_list(const std::vector<T>& values);

class Config {
 public:
  Config() : root_(YAML::NodeType::Map) {}
  explicit Config(YAML::Node root) : root_(std::move(root)) {}

  // Reads a YAML file; InputError naming the file (and line) on a syntax error.
  static Config load(const std::filesystem::path& path);

  void set(const Setting& setting) { set_node(setting.key, setting.value); }
  // Applies "a.b.c=value" typed by a user (Setting::parse).
  void set(const std::string& assignment) { set(Setting::parse(assignment)); }
  // Puts a whole YAML value (a section, a list) at a dotted path, creating the maps above it.
  void set_node(const std::string& path, const YAML::Node& value);

  // Sets every leaf of `overlay` (a map shaped like the config; lists are leaves) at its path, keeping the rest.
  void merge(const YAML::Node& overlay);
  // Removes a top-level section or key, if present.
  void erase(const std::string& key);

  bool has(const std::string& path) const;
  // Value at a dotted path, or `fallback` when absent; UsageError naming the key when it has the wrong type.
  template <class T> T get(const std::string& path, const T& fallback) const;
  template <class T> T require(const std::string& path) const;

  // UsageError listing every key of the document that is neither in `known` (full dotted paths) nor inside one
  // of `open_sections` (free-form parts such as a dataset's recorded preprocessing), each with the closest known
  // key as a suggestion: a typo must not silently fall back to a default. `what` names the kind of config.
  void check_known_keys(const std::vector<std::string>& known, const std::vector<std::string>& open_sections,
                        const std::string& what) const;

  std::string dump() const;  // YAML text (written into run folders as the effective config)
  const YAML::Node& root() const { return root_; }
  const std::filesystem::path& source() const { return source_; }  // the file it was read from (empty if none)

 private:
  YAML::Node find(const std::string& path) const;
  YAML::Node root_;
  std::filesystem::path source_;
};

}  // namespace diffseg

#include "diffseg/core/config_impl.h"

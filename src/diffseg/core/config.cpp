#include "diffseg/core/config.h"

#include <algorithm>
#include <sstream>

namespace diffseg {

namespace {
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream s(path);
  std::string part;
  while (std::getline(s, part, '.')) {
    if (part.empty()) throw UsageError("bad config key '" + path + "'");
    parts.push_back(part);
  }
  if (parts.empty()) throw UsageError("empty config key");
  return parts;
}

// yaml-cpp resolves an alias to the anchored node itself, so `a: &x {b: *x}` is a cycle, and a few aliases of
// aliases repeat a section exponentially: every later walk over the tree (the key check, Clone, dump) would
// overflow the stack or not end. Real configs are a few levels deep with a few hundred values.
constexpr int kMaxDepth = 32;
constexpr size_t kMaxValues = 100000;

void check_tree(const YAML::Node& node, const std::string& where, int depth, size_t& values) {
  if (depth > kMaxDepth)
    throw UsageError(where + ": nested more than " + std::to_string(kMaxDepth) +
                     " levels deep (an alias inside its own anchor?)");
  if (++values > kMaxValues)
    throw UsageError(where + ": holds more than " + std::to_string(kMaxValues) +
                     " values (aliases repeating a section?)");
  if (node.IsMap()) {
    for (const auto& kv : node) {
      check_tree(kv.first, where, depth + 1, values);
      check_tree(kv.second, where, depth + 1, values);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_tree(item, where, depth + 1, values);
  }
}

void check_tree(const YAML::Node& root, const std::string& where) {
  size_t values = 0;
  check_tree(root, where, 0, values);
}
}  // namespace

Config Config::load(const std::filesystem::path& path) {
  // A config is a setting, not input data: its problems are usage errors (exit 2) that name the file.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw UsageError(path.string() + ": config file not found" +
                     (std::filesystem::is_directory(path, ec) ? " (it is a folder)" : ""));
  try {
    YAML::Node root = YAML::LoadFile(path.string());
    if (!root || root.IsNull()) throw UsageError(path.string() + ": the config file is empty");
    if (!root.IsMap()) throw UsageError(path.string() + ": a config must be a YAML mapping (key: value)");
    check_tree(root, path.string());
    Config c(root);
    c.source_ = path;
    return c;
  } catch (const YAML::ParserException& e) {
    throw UsageError(path.string() + ": YAML syntax error: " + e.what());
  }
}

namespace {
void collect_leaves(const YAML::Node& node, const std::string& prefix, std::vector<std::string>& out) {
  if (node.IsMap() && node.size() > 0) {
    for (const auto& kv : node) collect_leaves(kv.second, prefix + (prefix.empty() ? "" : ".") + kv.first.Scalar(), out);
  } else {
    out.push_back(prefix);
  }
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}
}  // namespace

void Config::check_known_keys(const std::vector<std::string>& known, const std::vector<std::string>& open_sections,
                              const std::string& what) const {
  std::vector<std::string> leaves;
  collect_leaves(root_, "", leaves);
  std::string problems;
  int count = 0;
  for (const std::string& key : leaves) {
    if (key.empty()) continue;
    const bool listed = std::find(known.begin(), known.end(), key) != known.end();
    const bool inside_open = std::any_of(open_sections.begin(), open_sections.end(), [&](const std::string& s) {
      return key == s || key.rfind(s + ".", 0) == 0;
    });
    if (listed || inside_open) continue;
    std::string best;
    size_t best_distance = std::max<size_t>(3, key.size() / 4) + 1;
    for (const std::string& k : known) {
      const size_t d = edit_distance(key, k);
      if (d < best_distance) best_distance = d, best = k;
    }
    problems += "\n  " + key + (best.empty() ? "" : " (did you mean " + best + "?)");
    ++count;
  }
  if (count > 0)
    throw UsageError((source_.empty() ? std::string("the ") + what : source_.string() + " (" + what + ")") +
                     ": unknown setting" + (count > 1 ? "s" : "") + problems);
}

YAML::Node Config::find(const std::string& path) const {
  YAML::Node node = YAML::Clone(root_);
  for (const std::string& key : split_path(path)) {
    if (!node.IsMap()) return YAML::Node();
    node = node[key];
    if (!node) return YAML::Node();
  }
  return node;
}

bool Config::has(const std::string& path) const {
  const YAML::Node n = find(path);
  return n && !n.IsNull();
}

Setting Setting::parse(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("override '" + assignment + "' must look like key.sub=value");
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw UsageError("override '" + assignment + "': " + e.what());
  }
  check_tree(value, "override '" + assignment + "'");
  split_path(assignment.substr(0, eq));  // a malformed key is refused here, naming it
  return {assignment.substr(0, eq), value};
}

std::vector<Setting> parse_settings(const std::vector<std::string>& assignments) {
  std::vector<Setting> settings;
  for (const std::string& a : assignments) settings.push_back(Setting::parse(a));
  return settings;
}

void Config::set_node(const std::string& path, const YAML::Node& value) {
  const auto parts = split_path(path);
  // yaml-cpp nodes are handles: walk with fresh handles so assignments land in the tree, not in a copy.
  std::vector<YAML::Node> chain{root_};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsDefined() || next.IsNull() || !next.IsMap()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = YAML::Clone(value);
}

namespace {
void merge_into(Config& config, const YAML::Node& node, const std::string& prefix) {
  if (node.IsMap() && node.size() > 0) {
    for (const auto& kv : node) merge_into(config, kv.second, prefix + (prefix.empty() ? "" : ".") + kv.first.Scalar());
  } else if (!prefix.empty()) {
    config.set_node(prefix, node);
  }
}
}  // namespace

void Config::merge(const YAML::Node& overlay) {
  check_tree(overlay, "merged section");
  merge_into(*this, overlay, "");
}

void Config::erase(const std::string& key) {
  const YAML::Node& view = root_;  // a const lookup does not insert the key
  if (view.IsMap() && view[key]) root_.remove(key);
}

std::string Config::dump() const { return YAML::Dump(root_) + "\n"; }

}  // namespace diffseg

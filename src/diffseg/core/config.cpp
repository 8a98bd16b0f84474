#include "diffseg/core/config.h"

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
}  // namespace

Config Config::load(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path, "config file not found");
  try {
    YAML::Node root = YAML::LoadFile(path.string());
    if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) throw InputError(path, "a config must be a YAML mapping (key: value)");
    Config c(root);
    c.source_ = path;
    return c;
  } catch (const YAML::ParserException& e) {
    throw InputError(path, std::string("YAML syntax error: ") + e.what());
  }
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

void Config::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("override '" + assignment + "' must look like key.sub=value");
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw UsageError("override '" + assignment + "': " + e.what());
  }
  set_node(assignment.substr(0, eq), value);
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

std::string Config::dump() const { return YAML::Dump(root_) + "\n"; }

}  // namespace diffseg

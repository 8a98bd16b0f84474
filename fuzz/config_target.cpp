// A run config as `diffseg train --config C --set k=v ...` takes it: the file through Config::load, the
// overrides through Config::set, the whole through train::check_run_config, then every key a run reads looked
// up and the effective config written out as YAML, as a run folder records it. Input layout: leading lines "--set k=v" are the overrides, the
// rest (from the first other line) is the YAML file.
#include <string>
#include <string_view>
#include <vector>

#include "diffseg/core/config.h"
#include "diffseg/train/run_config_keys.h"
#include "fuzz/fuzz_targets.h"
#include "fuzz/input_file.h"
#include "fuzz/refusal.h"

namespace diffseg::fuzz {

namespace {
constexpr std::string_view kSetPrefix = "--set ";

struct ConfigInput {
  std::vector<std::string> overrides;
  std::string yaml;
};

ConfigInput split_input(std::string_view text) {
  ConfigInput in;
  while (text.substr(0, kSetPrefix.size()) == kSetPrefix) {
    const size_t end = text.find('\n');
    in.overrides.emplace_back(text.substr(kSetPrefix.size(), end == std::string_view::npos ? end : end - kSetPrefix.size()));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  in.yaml = std::string(text);
  return in;
}
}  // namespace

int fuzz_config(const uint8_t* data, size_t size) {
  const ConfigInput in = split_input(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto path = write_input_file("config.yaml", reinterpret_cast<const uint8_t*>(in.yaml.data()), in.yaml.size());
  return accepted_or_refused([&] {
    Config config = Config::load(path);
    for (const std::string& assignment : in.overrides) config.set(assignment);
    train::check_run_config(config);
    for (const std::string& key : train::run_config_keys()) config.has(key);
    config.dump();
  });
}

}  // namespace diffseg::fuzz

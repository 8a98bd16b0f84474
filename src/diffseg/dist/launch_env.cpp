#include "diffseg/dist/launch_env.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <thread>

#include "diffseg/core/error.h"

extern char** environ;

namespace diffseg::dist {

namespace {

std::string lookup(const std::map<std::string, std::string>& env, const std::string& key) {
  const auto it = env.find(key);
  return it == env.end() ? std::string() : it->second;
}

int64_t parse_integer(const std::string& key, const std::string& text, int64_t lo, int64_t hi) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || *end != '\0' || v < lo || v > hi)
    throw UsageError("environment variable " + key + "='" + text + "' is not an integer in [" + std::to_string(lo) +
                     ", " + std::to_string(hi) + "]");
  return v;
}

}  // namespace

LaunchEnv read_launch_env(const std::map<std::string, std::string>& env) {
  LaunchEnv e;
  const std::string world = lookup(env, "WORLD_SIZE"), rank = lookup(env, "RANK");
  if (world.empty() && rank.empty()) return e;
  if (world.empty() || rank.empty())
    throw UsageError("RANK and WORLD_SIZE must be set together (a launcher such as torchrun sets both)");
  e.world_size = static_cast<int>(parse_integer("WORLD_SIZE", world, 1, 1 << 20));
  e.rank = static_cast<int>(parse_integer("RANK", rank, 0, e.world_size - 1));
  if (const std::string v = lookup(env, "LOCAL_RANK"); !v.empty())
    e.local_rank = static_cast<int>(parse_integer("LOCAL_RANK", v, 0, e.world_size - 1));
  if (const std::string v = lookup(env, "LOCAL_WORLD_SIZE"); !v.empty())
    e.local_world_size = static_cast<int>(parse_integer("LOCAL_WORLD_SIZE", v, 1, e.world_size));
  if (const std::string v = lookup(env, "MASTER_ADDR"); !v.empty()) e.master_addr = v;
  if (const std::string v = lookup(env, "MASTER_PORT"); !v.empty())
    e.master_port = static_cast<uint16_t>(parse_integer("MASTER_PORT", v, 1, 65535));
  const std::string agent = lookup(env, "TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent == "True" || agent == "true" || agent == "1";
  if (const std::string v = lookup(env, "TORCHELASTIC_RESTART_COUNT"); !v.empty())
    e.restart_count = static_cast<int>(parse_integer("TORCHELASTIC_RESTART_COUNT", v, 0, 1 << 20));
  e.socket_ifname = lookup(env, "GLOO_SOCKET_IFNAME");
  return e;
}

std::vector<size_t> shard_of(size_t count, int rank, int world) {
  std::vector<size_t> mine;
  for (size_t i = static_cast<size_t>(rank); i < count; i += static_cast<size_t>(std::max(1, world))) mine.push_back(i);
  return mine;
}

int threads_per_process(int requested, const LaunchEnv& env) {
  if (requested > 0) return requested;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, env.local_world_size));
}

LaunchEnv launch_env_from_process() {
  std::map<std::string, std::string> env;
  for (char** p = environ; p && *p; ++p) {
    const std::string entry(*p);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return read_launch_env(env);
}

}  // namespace diffseg::dist

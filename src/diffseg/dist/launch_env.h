#pragma once
// Where this process sits in a distributed job, read from the variables torchrun (or SLURM's srun with the same
// exports) sets. Torch-free, so the CLI can report it without the communication code.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace diffseg::dist {

struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;    // processes on this machine (torchrun's LOCAL_WORLD_SIZE): they share its cores
  std::string master_addr = "127.0.0.1";
  uint16_t master_port = 29500;
  bool agent_store = false;    // torchrun's agent already hosts the TCPStore at master_addr:master_port
  int restart_count = 0;       // torchrun's restart attempt: keys of an earlier attempt must not be seen
  std::string socket_ifname;   // GLOO_SOCKET_IFNAME: the network interface(s) Gloo binds to (multi-node)

  bool distributed() const { return world_size > 1; }
};

// Reads RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE,
// TORCHELASTIC_RESTART_COUNT and GLOO_SOCKET_IFNAME from `env` (absent = one process). UsageError when they are
// inconsistent (a rank outside the world, a port that is not a number, WORLD_SIZE without RANK).
LaunchEnv read_launch_env(const std::map<std::string, std::string>& env);
LaunchEnv launch_env_from_process();  // the same, from this process's environment

// The items of `count` that rank `rank` of `world` works on: i with i mod world = rank (validation, evaluation and
// inference split cases this way; each case keeps its own seed, so results do not depend on the split).
std::vector<size_t> shard_of(size_t count, int rank, int world);

// CPU threads for one process: `requested` if > 0, else this machine's cores shared by its local processes.
int threads_per_process(int requested, const LaunchEnv& env);

}  // namespace diffseg::dist

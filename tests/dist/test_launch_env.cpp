#include "diffseg/dist/launch_env.h"

#include <gtest/gtest.h>

#include "diffseg/core/error.h"

using namespace diffseg;
using namespace diffseg::dist;

TEST(LaunchEnv, NoLauncherIsOneProcess) {
  const LaunchEnv e = read_launch_env({});
  EXPECT_EQ(e.world_size, 1);
  EXPECT_EQ(e.rank, 0);
  EXPECT_FALSE(e.distributed());
}

TEST(LaunchEnv, ReadsWhatTorchrunSets) {
  const LaunchEnv e = read_launch_env({{"RANK", "3"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"},
                                       {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29501"},
                                       {"TORCHELASTIC_USE_AGENT_STORE", "True"}, {"TORCHELASTIC_RESTART_COUNT", "2"},
                                       {"GLOO_SOCKET_IFNAME", "eth0"}});
  EXPECT_TRUE(e.distributed());
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 8);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
  EXPECT_EQ(e.master_addr, "node7");
  EXPECT_EQ(e.master_port, 29501);
  EXPECT_TRUE(e.agent_store);
  EXPECT_EQ(e.restart_count, 2);
  EXPECT_EQ(e.socket_ifname, "eth0");
  EXPECT_FALSE(read_launch_env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"TORCHELASTIC_USE_AGENT_STORE", "False"}}).agent_store);
}

TEST(LaunchEnv, InconsistentVariablesAreUsageErrors) {
  EXPECT_THROW(read_launch_env({{"WORLD_SIZE", "2"}}), UsageError);
  EXPECT_THROW(read_launch_env({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), UsageError);
  EXPECT_THROW(read_launch_env({{"RANK", "0"}, {"WORLD_SIZE", "two"}}), UsageError);
  EXPECT_THROW(read_launch_env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}), UsageError);
  EXPECT_THROW(read_launch_env({{"RANK", "-1"}, {"WORLD_SIZE", "2"}}), UsageError);
}

TEST(LaunchEnv, ThreadsShareTheMachinesCores) {
  LaunchEnv e = read_launch_env({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "4"}});
  EXPECT_EQ(threads_per_process(3, e), 3);
  EXPECT_GE(threads_per_process(0, e), 1);
  EXPECT_LE(threads_per_process(0, e), threads_per_process(0, LaunchEnv{}));
}

TEST(LaunchEnv, ShardsAreDisjointAndCoverEveryItem) {
  EXPECT_EQ(shard_of(7, 0, 3), (std::vector<size_t>{0, 3, 6}));
  EXPECT_EQ(shard_of(7, 2, 3), (std::vector<size_t>{2, 5}));
  EXPECT_EQ(shard_of(2, 3, 4), (std::vector<size_t>{}));
  EXPECT_EQ(shard_of(3, 0, 1), (std::vector<size_t>{0, 1, 2}));
}

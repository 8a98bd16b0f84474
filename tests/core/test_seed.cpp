#include "diffseg/core/seed.h"

#include <set>

#include <gtest/gtest.h>

using diffseg::case_seed;
using diffseg::mix_seed;
using diffseg::training_seed;

// Every (sampling seed, case) pair of a realistic evaluation gets its own generator seed, and seed 0 of case i is i
// (the stream `evaluate` with one seed and validation during training share).
TEST(Seed, CaseSeedsAreDistinctPerSeedAndCase) {
  std::set<uint64_t> seen;
  for (uint64_t s = 0; s < 64; ++s)
    for (uint64_t c = 0; c < 2000; ++c) EXPECT_TRUE(seen.insert(case_seed(s, c)).second) << s << " " << c;
  EXPECT_EQ(case_seed(0, 7), 7u);
  EXPECT_EQ(case_seed(3, 5), 3u * 1000003u + 5u);
}

TEST(Seed, TrainingSeedKIsTheBaseSeedPlusK) {
  EXPECT_EQ(training_seed(0, 0), 0u);
  EXPECT_EQ(training_seed(41, 2), 43u);
}

// splitmix64's finaliser: neighbouring indices give unrelated values (about half the bits differ).
TEST(Seed, MixSeedSpreadsNeighbouringIndices) {
  for (uint64_t i = 0; i < 100; ++i) {
    const int differing = __builtin_popcountll(mix_seed(5, i) ^ mix_seed(5, i + 1));
    EXPECT_GT(differing, 12) << i;
    EXPECT_LT(differing, 52) << i;
  }
  EXPECT_NE(mix_seed(1, 0), mix_seed(0, 1));
}

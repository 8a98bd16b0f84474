#pragma once
// Deriving independent seeds from (seed, index) pairs: splitmix64's finaliser, so neighbouring indices give
// unrelated generator states (used for per-case synthetic data and per-batch augmentation).
#include <cstdint>

namespace diffseg {

inline uint64_t mix_seed(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace diffseg

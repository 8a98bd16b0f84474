#pragma once
// Every seed diffseg derives from another comes from this file, so one user-given seed fixes data order,
// augmentation, noise and initialisation, and two places that mean the same stream draw the same numbers.
#include <cstdint>

namespace diffseg {

inline uint64_t mix_seed(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The generator seed of sampling seed `seed` for case `case_index` (inference, evaluation and validation): tied to
// the case, not to the order cases are processed in, so every process of a distributed job and every command
// draw the same noise for a case. Distinct for every seed and case below 1000003 cases.
inline uint64_t case_seed(uint64_t seed, uint64_t case_index) { return seed * 1000003ull + case_index; }

// Training seed k of an experiment's repeated trainings (k = 0 is the config's own train.seed).
inline uint64_t training_seed(uint64_t base, int64_t k) { return base + static_cast<uint64_t>(k); }

}  // namespace diffseg

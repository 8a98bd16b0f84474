#pragma once
// The dropout keep-mask as a pure function of (seed, element index), shared by hash dropout and the fused
// norm/activation kernel so both draw exactly the same mask. Torch-free: the fused kernel's translation unit is
// compiled with different instruction-set flags and must not pull in LibTorch's inline functions.
#include <cstdint>

namespace diffseg::model {

// A 32-bit integer finaliser (good avalanche, vectorises with 32-bit multiplies).
static inline uint32_t hash_mix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

// What a dropout call needs to decide keep/drop for element i: keep ⇔ hash ≥ threshold (24 bits compared with
// p·2^24); kept elements are scaled by 1/(1 - p).
struct HashMask {
  uint32_t key = 0;
  uint32_t threshold = 0;
  float scale = 1.0f;
  bool enabled = false;
};

static inline HashMask make_hash_mask(double p, uint64_t seed) {
  HashMask m;
  m.enabled = p > 0;
  m.key = static_cast<uint32_t>(seed ^ (seed >> 32));
  m.threshold = static_cast<uint32_t>(p * 16777216.0);
  m.scale = static_cast<float>(1.0 / (1.0 - p));
  return m;
}

// The multiplier of element i: scale if kept, 0 if dropped.
static inline float hash_mask_factor(const HashMask& m, int64_t i) {
  const uint32_t h = hash_mix32(static_cast<uint32_t>(i) * 0x9E3779B9u + m.key);
  return (h >> 8) >= m.threshold ? m.scale : 0.0f;
}

}  // namespace diffseg::model

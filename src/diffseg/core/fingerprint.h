#pragma once
// A 64-bit fingerprint of bytes (FNV-1a): cheap, stable across processes and machines (unlike std::hash), for
// checking that the ranks of a job hold the same config, data or weights. Not a cryptographic hash.
#include <cstdint>
#include <string_view>

namespace diffseg {

constexpr uint64_t kFingerprintStart = 1469598103934665603ull;

// Continues the fingerprint `h` over `bytes` (chain calls to fingerprint several pieces).
inline uint64_t fingerprint(std::string_view bytes, uint64_t h = kFingerprintStart) {
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace diffseg

// The libFuzzer program of one target: built once per entry of fuzz/fuzz_targets.h, which the build names in
// DIFFSEG_FUZZ_ENTRY (fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>

#include <spdlog/spdlog.h>

#include "fuzz/fuzz_targets.h"

#ifndef DIFFSEG_FUZZ_ENTRY
#error "DIFFSEG_FUZZ_ENTRY must name the entry function (fuzz/CMakeLists.txt sets it)"
#endif

// Warnings about odd inputs (a degenerate sform, ...) are expected by the million here and say nothing.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  diffseg::fuzz::DIFFSEG_FUZZ_ENTRY(data, size);
  return 0;
}

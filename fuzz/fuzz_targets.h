#pragma once
// Fuzz entry points: each feeds arbitrary bytes to one of diffseg's input readers through its public API.
//
// The contract every reader must keep for any input: either it accepts the input, or it refuses it with a
// diffseg::Error (core/error.h) whose message names the problem. An entry returns kAccepted or kRefused for
// those two outcomes; anything else (another exception, a crash, a sanitizer report, a hang) escapes to the
// caller — libFuzzer (fuzz/libfuzzer_driver.cpp) or the replay test (tests/fuzz/) — as the bug it is.
#include <cstddef>
#include <cstdint>

namespace diffseg::fuzz {

constexpr int kAccepted = 0;
constexpr int kRefused = 1;

// Library diffseg_fuzz_targets (no LibTorch):
int fuzz_nifti(const uint8_t* data, size_t size);     // the bytes as a .nii file, io::read_image
int fuzz_nifti_gz(const uint8_t* data, size_t size);  // the bytes as a .nii.gz file (plain bytes are read too)
int fuzz_png(const uint8_t* data, size_t size);       // the bytes as a .png file, io::read_image
int fuzz_dataset(const uint8_t* data, size_t size);   // the bytes as dataset.json, io::read_dataset
// Leading lines "--set key=value" are overrides, the rest a YAML run config: Config::load, Config::set,
// train::check_run_config, every known key looked up, Config::dump (fuzz/config_target.cpp).
int fuzz_config(const uint8_t* data, size_t size);

// Library diffseg_fuzz_checkpoint (LibTorch): the bytes as a checkpoint file, train::load_checkpoint into the
// tiny network of fuzz/checkpoint_target.h.
int fuzz_checkpoint(const uint8_t* data, size_t size);

}  // namespace diffseg::fuzz

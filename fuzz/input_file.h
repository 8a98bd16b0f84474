#pragma once
// The readers take paths, so a fuzz input becomes a file: one folder per process (libFuzzer's -fork/-jobs run
// several), removed when the process exits normally.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace diffseg::fuzz {

// Writes the bytes to <per-process folder>/<name> (replacing an earlier input) and returns its path. A failure
// to write is a harness problem, not the reader's: it throws std::runtime_error, which escapes on purpose.
std::filesystem::path write_input_file(const std::string& name, const uint8_t* data, size_t size);

}  // namespace diffseg::fuzz

#pragma once
// Argument helpers shared by the benchmark programs.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace diffseg::bench {

// "480,512" → {480, 512}.
inline std::vector<int64_t> parse_ints(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) out.push_back(std::stoll(item));
  return out;
}

// Calls handle(option, value) for each command-line option; value() reads the word after it (error when missing).
// handle returns false for an option it does not know.
template <typename Handle>
void parse_options(int argc, char** argv, Handle&& handle) {
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(option + " needs a value");
      return argv[++i];
    };
    if (!handle(option, value)) throw std::invalid_argument("unknown option " + option);
  }
}

// Runs a benchmark's body; a bad option or a failed run prints what went wrong and the usage line and exits with 2,
// instead of terminating on an uncaught exception.
template <typename Body>
int run_main(const char* usage, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\nusage: %s\n", e.what(), usage);
    return 2;
  }
}

}  // namespace diffseg::bench

#pragma once
// Argument helpers shared by the benchmark programs.
#include <cstdint>
#include <sstream>
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

}  // namespace diffseg::bench

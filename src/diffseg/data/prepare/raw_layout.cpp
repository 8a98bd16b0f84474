#include "diffseg/data/prepare/raw_layout.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "diffseg/core/error.h"

namespace diffseg::data {
namespace fs = std::filesystem;

fs::path find_folder_containing(const fs::path& raw, const std::vector<std::string>& entries, int max_depth) {
  if (!fs::is_directory(raw)) throw InputError(raw, "is not a folder");
  std::deque<std::pair<fs::path, int>> queue{{raw, 0}};
  while (!queue.empty()) {
    auto [folder, depth] = queue.front();
    queue.pop_front();
    const bool all = std::all_of(entries.begin(), entries.end(),
                                 [&](const std::string& e) { return fs::exists(folder / e); });
    if (all) return folder;
    if (depth >= max_depth) continue;
    std::vector<fs::path> children;
    std::error_code ec;
    for (const auto& child : fs::directory_iterator(folder, ec))
      if (child.is_directory()) children.push_back(child.path());
    std::sort(children.begin(), children.end());
    for (const auto& c : children) queue.emplace_back(c, depth + 1);
  }
  std::string list;
  for (const auto& e : entries) list += (list.empty() ? "" : ", ") + e;
  throw InputError(raw, "no folder here or below contains " + list + " (is this the dataset's download folder?)");
}

std::vector<fs::path> files_ending_with(const fs::path& folder, const std::string& suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::pair<std::size_t, std::size_t> proportional_split(std::size_t n, std::size_t first, std::size_t second,
                                                       std::size_t total) {
  auto share = [&](std::size_t part) {
    return static_cast<std::size_t>(std::llround(static_cast<double>(n) * part / static_cast<double>(total)));
  };
  std::size_t a = share(first), b = share(second);
  if (n >= 3) {
    a = std::clamp<std::size_t>(a, 1, n - 2);
    b = std::clamp<std::size_t>(b, 1, n - 1 - a);
  } else {
    a = std::min(a, n);
    b = std::min(b, n - a);
  }
  return {a, b};
}

}  // namespace diffseg::data

#pragma once
// Helpers the recipes share for finding their files in a user's download folder, which may sit one or more
// folders deeper than expected (zip files unpack into a folder of their own).
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace diffseg::data {

// The first folder at or below `raw` (breadth-first, up to `max_depth` levels) that contains every one of
// `entries` (files or folders). InputError naming `raw` and the expected entries when there is none.
std::filesystem::path find_folder_containing(const std::filesystem::path& raw, const std::vector<std::string>& entries,
                                             int max_depth = 6);

// Files directly in `folder` whose names end with `suffix`, sorted by name.
std::vector<std::filesystem::path> files_ending_with(const std::filesystem::path& folder, const std::string& suffix);

// Sizes of the first two parts of an ordered split of n items when the full dataset's parts are `reference`
// (e.g. 938/31/282 of 1251): the same proportions, rounded, with at least one item in each of the first two parts
// when n allows it. Returns {first, second}; the rest is the third part.
std::pair<std::size_t, std::size_t> proportional_split(std::size_t n, std::size_t first, std::size_t second,
                                                       std::size_t total);

}  // namespace diffseg::data

#pragma once
// Reading a JSON input file (dataset.json, split files, downloaded datasets' listings) with the project's errors:
// InputError naming the file when it is missing, empty, unreadable or not valid JSON.
#include <filesystem>

#include <nlohmann/json.hpp>

namespace diffseg::io {

nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace diffseg::io

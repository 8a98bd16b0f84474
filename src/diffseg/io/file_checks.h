#pragma once
#include <filesystem>

namespace diffseg::io {

// Throws InputError when path is missing, not a regular file, or empty.
void check_readable_file(const std::filesystem::path& path);

}  // namespace diffseg::io

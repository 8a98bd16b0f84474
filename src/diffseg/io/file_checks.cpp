#include "diffseg/io/file_checks.h"

#include <system_error>

#include "diffseg/core/error.h"

namespace diffseg::io {
namespace fs = std::filesystem;

void check_readable_file(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw InputError(path, "file not found");
  if (fs::is_directory(status)) throw InputError(path, "is a folder, expected a file");
  if (!fs::is_regular_file(status)) throw InputError(path, "not a regular file");
  if (fs::file_size(path, ec) == 0 || ec) throw InputError(path, "empty file");
}

}  // namespace diffseg::io

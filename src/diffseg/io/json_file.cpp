#include "diffseg/io/json_file.h"

#include <fstream>
#include <string>

#include "diffseg/core/error.h"
#include "diffseg/io/file_checks.h"

namespace diffseg::io {

nlohmann::json read_json_file(const std::filesystem::path& path) {
  check_readable_file(path);
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot open for reading");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    // Not only parse_error: a number beyond double's range (1e400) is an out_of_range from the parser.
    throw InputError(path, std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace diffseg::io

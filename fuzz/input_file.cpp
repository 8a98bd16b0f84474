#include "fuzz/input_file.h"

#include <fstream>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace diffseg::fuzz {
namespace fs = std::filesystem;

namespace {
class ProcessFolder {
 public:
  ProcessFolder() : path_(fs::temp_directory_path() / ("diffseg-fuzz-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~ProcessFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};
}  // namespace

fs::path write_input_file(const std::string& name, const uint8_t* data, size_t size) {
  static const ProcessFolder folder;
  const fs::path path = folder.path() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) throw std::runtime_error(path.string() + ": fuzz harness could not write its input file");
  return path;
}

}  // namespace diffseg::fuzz

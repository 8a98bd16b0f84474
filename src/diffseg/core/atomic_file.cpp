#include "diffseg/core/atomic_file.h"

#include <atomic>
#include <fstream>
#include <string>
#include <system_error>
#include <unistd.h>

#include "diffseg/core/error.h"

namespace diffseg {
namespace fs = std::filesystem;

namespace {
// Double extensions such as ".nii.gz" must stay together at the end of the temporary name.
std::string full_extension(const fs::path& p) {
  const std::string name = p.filename().string();
  for (const char* ext : {".nii.gz", ".tar.gz"}) {
    const std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) return e;
  }
  return p.extension().string();
}
}  // namespace

void ensure_directory(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError(dir, "cannot create folder: " + ec.message());
  if (!fs::is_directory(dir)) throw OutputError(dir, "exists but is not a folder");
}

void write_atomically(const fs::path& target, const std::function<void(const fs::path&)>& write) {
  static std::atomic<unsigned> counter{0};
  ensure_directory(target.parent_path());
  const std::string ext = full_extension(target);
  std::string stem = target.filename().string();
  stem.resize(stem.size() - ext.size());
  const fs::path tmp = target.parent_path() / ("." + stem + ".tmp" + std::to_string(::getpid()) + "_" +
                                               std::to_string(counter++) + ext);
  try {
    write(tmp);
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) throw OutputError(target, "cannot move finished file into place: " + ec.message());
  } catch (...) {
    std::error_code ignore;
    fs::remove(tmp, ignore);
    throw;
  }
}

void write_text_atomically(const fs::path& target, const std::string& text) {
  write_atomically(target, [&](const fs::path& tmp) {
    std::ofstream out(tmp);
    out << text;
    out.flush();
    if (!out) throw OutputError(target, "write failed (disk full or not writable?)");
  });
}

}  // namespace diffseg

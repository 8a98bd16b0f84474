#include "diffseg/core/atomic_file.h"

#include <cctype>

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

int remove_abandoned_temporaries(const fs::path& dir) {
  std::error_code ec;
  int removed = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const auto at = name.find(".tmp");
    if (name.size() < 2 || name[0] != '.' || at == std::string::npos || at + 4 >= name.size()) continue;
    size_t i = at + 4;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
    if (i == at + 4 || i >= name.size() || name[i] != '_') continue;  // not ".tmp<pid>_"
    std::error_code ignore;
    if (e.is_regular_file(ignore) && fs::remove(e.path(), ignore)) ++removed;
  }
  return removed;
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

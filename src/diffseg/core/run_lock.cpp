#include "diffseg/core/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "diffseg/core/error.h"

namespace diffseg {
namespace fs = std::filesystem;

namespace {
std::string host_name() {
  char name[256] = {0};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("unknown host");
}

std::string read_holder(const fs::path& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}
}  // namespace

RunLock::RunLock(const fs::path& folder, const std::string& what) : path_(folder / ".lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw OutputError(path_, std::string("cannot create the run lock: ") + std::strerror(errno));
  const std::string before = read_holder(path_);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw UsageError(folder.string() + " is in use by another process (" +
                       (before.empty() ? std::string("no details") : before) +
                       "); wait for it to finish, stop it, or choose another --out");
    throw OutputError(path_, std::string("cannot lock the run folder: ") + std::strerror(err));
  }
  if (!before.empty())
    spdlog::info("{}: taking over the lock left by a process that has ended ({})", folder.string(), before);
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  std::ostringstream text;
  text << what << " pid " << ::getpid() << " on " << host_name() << " since " << when << "\n";
  const std::string s = text.str();
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, s.data(), s.size(), 0) != static_cast<ssize_t>(s.size()))
    spdlog::warn("{}: could not record the holder in the lock file", path_.string());
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  // Empty file = nobody: the next process does not report a takeover after a clean exit.
  if (::ftruncate(fd_, 0) != 0) { /* the lock itself is released either way */ }
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace diffseg

#pragma once
// One writer per run folder. `train` holds RUN/.lock while it writes the folder: a second process aimed at the same
// folder stops at once with a message naming the holder (pid, host, since when), instead of interleaving logs and
// weights. The lock is the kernel's advisory flock on that file, so it disappears with its process, however it
// ends (kill -9 included): a lock file left by a dead process is taken over, and that is said in the log.
#include <filesystem>
#include <string>

namespace diffseg {

class RunLock {
 public:
  // UsageError (exit 2) naming the holder when another live process holds the folder; OutputError when the lock
  // file cannot be created. `what` says what this process is doing, e.g. "train".
  RunLock(const std::filesystem::path& folder, const std::string& what);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace diffseg

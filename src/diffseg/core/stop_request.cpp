#include "diffseg/core/stop_request.h"

#include <atomic>
#include <csignal>
#include <ctime>

namespace diffseg {

namespace {
std::atomic<int> g_signal{0};
std::atomic<long long> g_first_ms{0};

long long now_ms() {  // clock_gettime is async-signal-safe
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<long long>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

extern "C" void on_stop_signal(int sig) {
  if (g_signal.exchange(sig) == 0) {
    g_first_ms.store(now_ms());
    return;
  }
  // A repeat within 3 s is the same request delivered twice (a launcher forwarding it to a process that got it
  // already, Ctrl-C reaching both); a later one is the user insisting: stop now.
  if (now_ms() - g_first_ms.load() < 3000) return;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}
}  // namespace

void install_stop_handlers() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
}

bool stop_requested() { return g_signal.load() != 0; }

}  // namespace diffseg

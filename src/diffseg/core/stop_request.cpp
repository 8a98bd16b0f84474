#include "diffseg/core/stop_request.h"

#include <atomic>
#include <csignal>

namespace diffseg {

namespace {
std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int sig) {
  if (g_signal.exchange(sig) != 0) {  // second request: stop now
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}
}  // namespace

void install_stop_handlers() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
}

bool stop_requested() { return g_signal.load() != 0; }
int stop_signal() { return g_signal.load(); }
void request_stop_for_test(int signal) { g_signal.store(signal); }

}  // namespace diffseg

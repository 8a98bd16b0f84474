#include "diffseg/core/progress.h"

#include <cstdio>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace diffseg {
using Clock = std::chrono::steady_clock;

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total > 0 ? total : 0),
      tty_(::isatty(STDERR_FILENO) == 1), start_(Clock::now()), last_draw_(start_ - std::chrono::hours(1)) {}

Progress::~Progress() {
  if (!finished_ && tty_ && done_ > 0) std::fputc('\n', stderr);  // leave the cursor on a fresh line
}

std::string Progress::format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "--:--";
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", s / 60, s % 60);
  return buf;
}

void Progress::advance(int64_t n, const std::string& status) {
  done_ += n;
  if (!status.empty()) status_ = status;
  draw(done_ >= total_);
}

void Progress::set_status(const std::string& status) {
  status_ = status;
  draw(false);
}

void Progress::finish() {
  if (finished_) return;
  draw(true);
  if (tty_) std::fputc('\n', stderr);
  finished_ = true;
}

void Progress::draw(bool force) {
  const auto now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double eta = (rate > 0 && total_ > 0) ? static_cast<double>(total_ - done_) / rate : -1;
  const double frac = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 0.0;
  if (tty_) {
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    constexpr int width = 28;
    const int filled = static_cast<int>(frac * width + 1e-9);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r\033[K%s [%s] %lld/%lld %3.0f%% %.2f %s/s elapsed %s ETA %s %s", label_.c_str(),
                 bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_), frac * 100.0, rate,
                 unit_.c_str(), format_duration(elapsed).c_str(), format_duration(eta).c_str(), status_.c_str());
    std::fflush(stderr);
  } else {
    if (!force && elapsed < 2.0) return;  // quick work gets only its final line in logs
    const int64_t step = total_ >= 10 ? total_ / 10 : 1;
    const bool due = done_ - last_logged_done_ >= step || now - last_draw_ > std::chrono::seconds(30);
    if (!(force || due) || done_ == last_logged_done_) return;
    spdlog::info("{}: {}/{} ({:.0f}%), {:.2f} {}/s, elapsed {}, ETA {} {}", label_, done_, total_, frac * 100.0,
                 rate, unit_, format_duration(elapsed), format_duration(eta), status_);
    last_logged_done_ = done_;
  }
  last_draw_ = now;
}

}  // namespace diffseg

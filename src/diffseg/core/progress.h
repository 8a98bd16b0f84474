#pragma once
// A progress display for long work: a redrawn bar with rate and ETA on a terminal, and a plain log line every
// ~10 % (or 30 s) when stderr is not a terminal, so CI logs and nohup files stay readable.
#include <chrono>
#include <cstdint>
#include <string>

namespace diffseg {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Marks n more items done; status is shown after the bar (e.g. "loss 0.231").
  void advance(int64_t n = 1, const std::string& status = {});
  void set_status(const std::string& status);
  void finish();

  // "1:02:03" or "02:03"; public for tests and for other displays.
  static std::string format_duration(double seconds);

 private:
  void draw(bool force);

  std::string label_, unit_, status_;
  int64_t total_, done_ = 0;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  int64_t last_logged_done_ = 0;
};

}  // namespace diffseg

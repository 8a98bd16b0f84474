#pragma once
// A minimal parallel loop for the torch-free parts (metrics, I/O): splits [0, n) into contiguous chunks over
// `threads` std::threads (the calling thread takes one). Exceptions from workers are rethrown in the caller.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace diffseg {

// Threads to use when the caller passes 0: all cores.
inline int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

template <class F>
void parallel_for(int64_t n, int threads, F&& body) {
  if (n <= 0) return;
  if (threads <= 0) threads = default_threads();
  const int64_t workers = std::min<int64_t>(threads, n);
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
  std::exception_ptr error;
  std::mutex error_mutex;
  auto run = [&](int64_t begin, int64_t end) {
    try {
      for (int64_t i = begin; i < end; ++i) body(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  const int64_t chunk = (n + workers - 1) / workers;
  for (int64_t w = 1; w < workers; ++w) {
    const int64_t begin = w * chunk, end = std::min(n, begin + chunk);
    if (begin < end) pool.emplace_back(run, begin, end);
  }
  run(0, std::min(n, chunk));
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace diffseg

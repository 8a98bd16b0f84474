#pragma once
// The run folder's CSV logs (log.csv: one row per step; validation.csv: one row per evaluation), appended and
// flushed row by row so an interrupted run keeps everything up to its last step. Torch-free.
#include <cstdint>
#include <filesystem>
#include <string>

namespace diffseg::train {

class CsvLog {
 public:
  CsvLog(std::filesystem::path path, std::string header) : path_(std::move(path)), header_(std::move(header)) {}
  // Keeps the header and the rows whose first field (the step) is below `max_step`: a resumed run rewrites the
  // steps after its checkpoint, so they must not appear twice.
  void truncate(int64_t max_step) const;
  void append(const std::string& row) const;  // OutputError when the disk refuses

 private:
  std::filesystem::path path_;
  std::string header_;
};

std::string format_number(double v);  // %.6g

}  // namespace diffseg::train

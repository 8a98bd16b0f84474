#include "diffseg/train/training_log.h"

#include <cstdio>
#include <fstream>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"

namespace diffseg::train {
namespace fs = std::filesystem;

void CsvLog::truncate(int64_t max_step) const {
  std::ifstream in(path_);
  if (!in) return;
  std::string line, kept;
  bool header = true;
  while (std::getline(in, line)) {
    if (header || (!line.empty() && std::stoll(line.substr(0, line.find(','))) < max_step)) kept += line + "\n";
    header = false;
  }
  in.close();
  write_text_atomically(path_, kept);
}

void CsvLog::append(const std::string& row) const {
  const bool fresh = !fs::exists(path_) || fs::file_size(path_) == 0;
  std::ofstream out(path_, std::ios::app);
  if (fresh) out << header_ << "\n";
  out << row << "\n";
  out.flush();
  if (!out) throw OutputError(path_, "write failed (disk full or not writable?)");
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace diffseg::train

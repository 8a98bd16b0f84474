#include "diffseg/core/results.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"

namespace diffseg {

void ResultTable::add(std::vector<Cell> row) {
  if (row.size() != columns_.size()) throw std::invalid_argument("result row has the wrong number of cells");
  rows_.push_back(std::move(row));
}

std::string ResultTable::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows_) {
    nlohmann::json rec = nlohmann::json::object();
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (const auto* s = std::get_if<std::string>(&row[c])) {
        rec[columns_[c]] = *s;
      } else if (const auto* i = std::get_if<int64_t>(&row[c])) {
        rec[columns_[c]] = *i;
      } else {
        const double v = std::get<double>(row[c]);
        rec[columns_[c]] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
      }
    }
    out.push_back(rec);
  }
  return out.dump(2) + "\n";
}

std::string ResultTable::to_csv() const {
  std::string out;
  for (size_t c = 0; c < columns_.size(); ++c) out += (c ? "," : "") + columns_[c];
  out += "\n";
  char buf[64];
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) out += ",";
      if (const auto* s = std::get_if<std::string>(&row[c])) {
        out += *s;
      } else if (const auto* i = std::get_if<int64_t>(&row[c])) {
        out += std::to_string(*i);
      } else {
        const double v = std::get<double>(row[c]);
        if (std::isfinite(v)) {
          std::snprintf(buf, sizeof buf, "%.10g", v);
          out += buf;
        } else if (std::isinf(v)) {
          out += v > 0 ? "inf" : "-inf";
        }
      }
    }
    out += "\n";
  }
  return out;
}

std::string ResultTable::to_markdown(int precision) const {
  std::string out = "|";
  for (const auto& c : columns_) out += " " + c + " |";
  out += "\n|";
  for (size_t c = 0; c < columns_.size(); ++c) out += "---|";
  out += "\n";
  char buf[64];
  for (const auto& row : rows_) {
    out += "|";
    for (const Cell& cell : row) {
      if (const auto* s = std::get_if<std::string>(&cell)) {
        out += " " + *s + " |";
      } else if (const auto* i = std::get_if<int64_t>(&cell)) {
        out += " " + std::to_string(*i) + " |";
      } else {
        const double v = std::get<double>(cell);
        if (std::isnan(v))
          out += " NaN |";
        else {
          std::snprintf(buf, sizeof buf, " %.*f |", precision, v);
          out += buf;
        }
      }
    }
    out += "\n";
  }
  return out;
}

namespace {
}  // namespace

void ResultTable::write_json(const std::filesystem::path& path) const { write_text_atomically(path, to_json()); }
void ResultTable::write_csv(const std::filesystem::path& path) const { write_text_atomically(path, to_csv()); }

int CsvData::column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

const std::string& CsvData::at(size_t row, const std::string& name) const {
  const int c = column(name);
  if (c < 0) {
    std::string columns;
    for (const auto& h : header) columns += (columns.empty() ? "" : ", ") + h;
    throw InputError(path, "has no column \"" + name + "\" (columns: " + columns + ")");
  }
  return rows.at(row).at(static_cast<size_t>(c));
}

double CsvData::number(size_t row, const std::string& name) const {
  const std::string& text = at(row, name);
  if (text.empty()) return std::nan("");
  size_t used = 0;
  double v = std::nan("");
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size())
    throw InputError(path, "column \"" + name + "\" of row " + std::to_string(row + 1) + " holds \"" + text +
                               "\", not a number");
  return v;
}

CsvData read_csv(const std::filesystem::path& path) {
  CsvData d;
  d.path = path;
  std::ifstream in(path);
  if (!in) return d;
  std::string line;
  auto split = [](const std::string& l) {
    std::vector<std::string> cells;
    size_t start = 0;
    while (true) {
      const size_t comma = l.find(',', start);
      cells.push_back(l.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return cells;
  };
  if (std::getline(in, line)) d.header = split(line);
  while (std::getline(in, line))
    if (!line.empty()) {
      auto cells = split(line);
      cells.resize(d.header.size());
      d.rows.push_back(cells);
    }
  return d;
}

Summary summarise(const std::vector<double>& values) {
  Summary s;
  double sum = 0, sq = 0;
  for (double v : values) {
    if (std::isnan(v)) {
      ++s.nan;
      continue;
    }
    ++s.count;
    sum += v;
  }
  s.mean = s.count ? sum / static_cast<double>(s.count) : std::nan("");
  for (double v : values)
    if (!std::isnan(v)) sq += (v - s.mean) * (v - s.mean);
  s.std = s.count ? std::sqrt(sq / static_cast<double>(s.count)) : std::nan("");
  return s;
}

std::string format_summary(const Summary& s, int precision) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.*f ± %.*f (n=%lld", precision, s.mean, precision, s.std,
                static_cast<long long>(s.count));
  std::string out = buf;
  if (s.nan) out += ", " + std::to_string(s.nan) + " NaN";
  return out + ")";
}

}  // namespace diffseg

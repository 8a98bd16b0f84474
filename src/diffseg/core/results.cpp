#include "diffseg/core/results.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
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

std::string csv_line(const std::vector<Cell>& cells) {
  std::string out;
  char buf[64];
  for (size_t c = 0; c < cells.size(); ++c) {
    if (c) out += ",";
    if (const auto* s = std::get_if<std::string>(&cells[c])) {
      if (s->find_first_of(",\"\r\n") == std::string::npos) {
        out += *s;
        continue;
      }
      out += '"';
      for (char ch : *s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      out += '"';
    } else if (const auto* i = std::get_if<int64_t>(&cells[c])) {
      out += std::to_string(*i);
    } else {
      const double v = std::get<double>(cells[c]);
      if (std::isfinite(v)) {
        std::snprintf(buf, sizeof buf, "%.10g", v);
        out += buf;
      } else if (std::isinf(v)) {
        out += v > 0 ? "inf" : "-inf";
      }
    }
  }
  return out;
}

std::string ResultTable::to_csv() const {
  std::string out = csv_line(std::vector<Cell>(columns_.begin(), columns_.end())) + "\n";
  for (const auto& row : rows_) out += csv_line(row) + "\n";
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
  std::ifstream in(path, std::ios::binary);
  if (!in) return d;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // RFC 4180: a quoted cell may hold commas, doubled quotes and line breaks.
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string cell;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch != '"') cell += ch;
      else if (i + 1 < text.size() && text[i + 1] == '"') cell += '"', ++i;
      else quoted = false;
    } else if (ch == '"') {
      quoted = any = true;
    } else if (ch == ',') {
      record.push_back(std::move(cell)), cell.clear(), any = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !cell.empty()) record.push_back(std::move(cell)), records.push_back(std::move(record));
      cell.clear(), record.clear(), any = false;
    } else {
      cell += ch;
    }
  }
  if (any || !cell.empty()) record.push_back(std::move(cell)), records.push_back(std::move(record));
  if (quoted) throw InputError(path, "ends inside a quoted cell (truncated?)");
  if (records.empty()) return d;
  d.header = std::move(records.front());
  for (size_t r = 1; r < records.size(); ++r) {
    records[r].resize(d.header.size());
    d.rows.push_back(std::move(records[r]));
  }
  return d;
}

void CsvAppender::append(const std::vector<Cell>& row) const {
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(path_, ec) || std::filesystem::file_size(path_, ec) == 0;
  std::ofstream out(path_, std::ios::app | std::ios::binary);
  if (fresh) out << csv_line(std::vector<Cell>(columns_.begin(), columns_.end())) << "\n";
  out << csv_line(row) << "\n";
  out.flush();
  if (!out) throw OutputError(path_, "write failed (disk full or not writable?)");
}

void CsvAppender::keep_rows_below(int64_t limit) const {
  const CsvData d = read_csv(path_);
  if (d.header.empty()) return;
  std::string kept = csv_line(std::vector<Cell>(d.header.begin(), d.header.end())) + "\n";
  for (size_t r = 0; r < d.rows.size(); ++r)
    if (d.number(r, d.header.front()) < static_cast<double>(limit))
      kept += csv_line(std::vector<Cell>(d.rows[r].begin(), d.rows[r].end())) + "\n";
  write_text_atomically(path_, kept);
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

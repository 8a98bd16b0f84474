#pragma once
// The one results format: a table of records (column name → number or text) written as JSON (a list of objects,
// NaN as null) or CSV (NaN as empty), and summarised as mean ± std with the count of NaN values.
#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace diffseg {

using Cell = std::variant<std::string, int64_t, double>;

class ResultTable {
 public:
  explicit ResultTable(std::vector<std::string> columns) : columns_(std::move(columns)) {}
  void add(std::vector<Cell> row);  // one cell per column

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<Cell>>& rows() const { return rows_; }

  std::string to_json() const;
  std::string to_csv() const;
  std::string to_markdown(int precision = 4) const;  // a Markdown table for reports and the terminal
  void write_json(const std::filesystem::path& path) const;  // atomic
  void write_csv(const std::filesystem::path& path) const;   // atomic

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<Cell>> rows_;
};

// One CSV line (without the line break) as ResultTable writes its rows: numbers as %.10g, NaN as an empty cell,
// infinities as inf/-inf, text in double quotes (inner quotes doubled, RFC 4180) when it holds a comma, a quote or
// a line break — a case id such as "a,b" stays one cell.
std::string csv_line(const std::vector<Cell>& cells);

// A CSV table that grows row by row (a run's log.csv and validation.csv): every row is appended and flushed at
// once, so an interrupted run keeps everything up to its last step. Same format as ResultTable::write_csv.
class CsvAppender {
 public:
  CsvAppender(std::filesystem::path path, std::vector<std::string> columns)
      : path_(std::move(path)), columns_(std::move(columns)) {}
  void append(const std::vector<Cell>& row) const;  // OutputError when the disk refuses
  // Keeps the header and the rows whose first column (a step) is below `limit`: a resumed run rewrites the steps
  // after its checkpoint, so they must not appear twice.
  void keep_rows_below(int64_t limit) const;

 private:
  std::filesystem::path path_;
  std::vector<std::string> columns_;
};

// Reads a CSV written by ResultTable or CsvAppender (quoted cells unquoted): header and rows of text cells (empty
// cells stay empty).
struct CsvData {
  std::filesystem::path path;  // the file it was read from (names it in errors)
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int column(const std::string& name) const;  // -1 when absent
  // The cell of rows[row] in column `name`: columns are found by name, so a file may gain columns or reorder
  // them. Throws InputError (naming the file) when the column is absent.
  const std::string& at(size_t row, const std::string& name) const;
  // The same cell as a number as ResultTable writes it: empty is NaN, "inf"/"-inf" are infinities. Throws
  // InputError when the cell holds anything else.
  double number(size_t row, const std::string& name) const;
};
CsvData read_csv(const std::filesystem::path& path);  // empty CsvData when the file does not exist

struct Summary {
  double mean = 0, std = 0;  // over finite values; std with ddof = 0
  int64_t count = 0, nan = 0;
};
Summary summarise(const std::vector<double>& values);
std::string format_summary(const Summary& s, int precision = 4);  // "0.8812 ± 0.0451 (n=12, 1 NaN)"

}  // namespace diffseg

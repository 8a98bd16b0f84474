#include <sstream>

#include "commands.h"
#include "diffseg/core/error.h"

namespace diffseg::cli {

namespace {
template <class T>
std::vector<T> parse_list(const std::string& text, const std::string& option) {
  std::string normalised = text;
  for (char& ch : normalised)
    if (ch == 'x' || ch == ',') ch = ' ';
  std::istringstream in(normalised);
  std::vector<T> values;
  T v;
  while (in >> v) values.push_back(v);
  if (!in.eof() || values.empty())
    throw UsageError(option + ": expected a list of numbers like 64,64 or 48,48,24, got '" + text + "'");
  return values;
}
}  // namespace

std::vector<int64_t> parse_int_list(const std::string& text, const std::string& option) {
  return parse_list<int64_t>(text, option);
}
std::vector<double> parse_double_list(const std::string& text, const std::string& option) {
  return parse_list<double>(text, option);
}

}  // namespace diffseg::cli

#include <cmath>
#include <sstream>

#include "commands.h"
#include "diffseg/core/error.h"
#include "diffseg/core/runtime.h"
#include "diffseg/diffusion/sampler.h"

namespace diffseg::cli {

namespace {
template <class T>
std::vector<T> parse_list(const std::string& text, const std::string& option, double minimum) {
  std::string normalised = text;
  for (char& ch : normalised)
    if (ch == 'x' || ch == ',') ch = ' ';
  std::istringstream in(normalised);
  std::vector<T> values;
  T v;
  while (in >> v) values.push_back(v);
  if (!in.eof() || values.empty())
    throw UsageError(option + ": expected a list of numbers like 64,64 or 48,48,24, got '" + text + "'");
  for (const T x : values)
    if (!std::isfinite(static_cast<double>(x)) || static_cast<double>(x) < minimum)
      throw UsageError(option + ": every value must be " + (minimum > 0 ? "positive" : "at least 0") + ", got '" +
                       text + "'");
  return values;
}
}  // namespace

std::vector<int64_t> parse_int_list(const std::string& text, const std::string& option, Sign sign) {
  return parse_list<int64_t>(text, option, sign == Sign::positive ? 1 : 0);
}
std::vector<double> parse_double_list(const std::string& text, const std::string& option) {
  return parse_list<double>(text, option, 1e-300);
}

CLI::Validator finite_at_least(double low) {
  const std::string rule = ">= " + std::to_string(low);
  return CLI::Validator(
      [low, rule](std::string& text) -> std::string {
        double v = 0;
        try {
          size_t used = 0;
          v = std::stod(text, &used);
          if (used != text.size()) return "'" + text + "' is not a number";
        } catch (const std::exception&) {
          return "'" + text + "' is not a number";
        }
        if (!std::isfinite(v) || !(v >= low)) return text + " is not a finite number " + rule;
        return "";
      },
      "NUMBER " + rule);
}

CLI::Validator accepted_by(std::function<void(const std::string&)> parse, const std::string& kind) {
  return CLI::Validator(
      [parse = std::move(parse)](std::string& text) -> std::string {
        try {
          parse(text);
        } catch (const Error& e) {
          return e.what();
        }
        return "";
      },
      kind);
}

CLI::Validator device_name() {
  return accepted_by([](const std::string& t) { parse_device(t); }, "DEVICE");
}
CLI::Validator sampler_name() {
  return accepted_by([](const std::string& t) { diffusion::parse_sampler(t); }, "SAMPLER");
}

}  // namespace diffseg::cli

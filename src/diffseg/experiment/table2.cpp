#include "diffseg/experiment/table2.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <variant>
#include <vector>

#include "diffseg/core/error.h"
#include "diffseg/metrics/statistics.h"

namespace diffseg::experiment {
namespace fs = std::filesystem;

namespace {

// p < 0.05, as docs/method.md (Model ensemble) sets it: the paper names neither its test nor its level.
constexpr double kSignificance = 0.05;

const std::vector<std::string>& columns() {
  static const std::vector<std::string> c{"method",          "dice_mean",           "dice_std",
                                          "hd95_mean",       "hd95_std",            "dice_p_vs_supervised",
                                          "hd95_p_vs_supervised", "dice_diff_vs_supervised", "dice_diff_ci_low",
                                          "dice_diff_ci_high"};
  return c;
}

std::string fixed(double v, int precision, bool sign = false) {
  if (std::isnan(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, sign ? "%+.*f" : "%.*f", precision, v);
  return buf;
}

std::string mark(double p) { return p < kSignificance ? " *" : ""; }  // NaN compares false: no mark

std::string p_text(double p) {
  if (std::isnan(p)) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", p);
  return buf;
}

}  // namespace

ResultTable empty_table2() { return ResultTable(columns()); }

bool has_table2_columns(const fs::path& csv) {
  const CsvData d = read_csv(csv);
  return std::all_of(columns().begin(), columns().end(), [&](const std::string& c) { return d.column(c) >= 0; });
}

void add_ensemble_rows(ResultTable& table2, const fs::path& ensemble_csv, const std::string& with) {
  const CsvData d = read_csv(ensemble_csv);
  if (d.header.empty()) throw InputError(ensemble_csv, "not found or empty: the ensemble evaluation wrote no table");
  const auto& kept = table2.columns();
  const size_t method_column = static_cast<size_t>(std::find(kept.begin(), kept.end(), "method") - kept.begin());
  const bool have_supervised = std::any_of(table2.rows().begin(), table2.rows().end(), [&](const auto& row) {
    return std::get<std::string>(row[method_column]) == "supervised";
  });
  for (size_t r = 0; r < d.rows.size(); ++r) {
    std::string method = d.at(r, "method");
    if (method == "supervised" && have_supervised) continue;
    if (method == "ensemble") method = "ensemble (supervised + " + with + ")";
    std::vector<Cell> row;
    for (const std::string& c : kept) row.push_back(c == "method" ? Cell{method} : Cell{d.number(r, c)});
    table2.add(std::move(row));
  }
}

std::string table2_legend() {
  const metrics::BootstrapOptions bootstrap;  // the settings the evaluator uses
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "Marked *: p < %.2g against the supervised model: two-sided Wilcoxon signed-rank test on per-case scores, "
                "Dice and HD95 separately (exact null distribution for up to 50 cases when no difference is zero, "
                "else the normal approximation with tie correction; as scipy.stats.wilcoxon). ΔDice: mean per-case "
                "Dice difference to the supervised model with its paired percentile bootstrap %.0f %% interval "
                "(%lld resamples, seed %llu). The diffusion rows are inference seed 0, last sampling step.",
                kSignificance, bootstrap.level * 100, static_cast<long long>(bootstrap.resamples),
                static_cast<unsigned long long>(bootstrap.seed));
  return buf;
}

CsvData table2_display(const CsvData& t) {
  CsvData out;
  out.path = t.path;
  out.header = {"method", "Dice", "HD95", "ΔDice vs supervised [95 % CI]", "p (Dice)", "p (HD95)"};
  for (size_t r = 0; r < t.rows.size(); ++r) {
    auto num = [&](const std::string& c) { return t.number(r, c); };
    const double p_dice = num("dice_p_vs_supervised"), p_hd95 = num("hd95_p_vs_supervised");
    const double diff = num("dice_diff_vs_supervised");
    const std::string interval = std::isnan(diff) ? "–"
                                                  : fixed(diff, 4, true) + " [" + fixed(num("dice_diff_ci_low"), 4, true) +
                                                        ", " + fixed(num("dice_diff_ci_high"), 4, true) + "]";
    out.rows.push_back({t.at(r, "method"), fixed(num("dice_mean"), 4) + " ± " + fixed(num("dice_std"), 4) + mark(p_dice),
                        fixed(num("hd95_mean"), 3) + " ± " + fixed(num("hd95_std"), 3) + mark(p_hd95), interval,
                        p_text(p_dice), p_text(p_hd95)});
  }
  return out;
}

std::string table2_markdown(const CsvData& table2) {
  const CsvData shown = table2_display(table2);
  ResultTable text(shown.header);
  for (const auto& row : shown.rows) text.add(std::vector<Cell>(row.begin(), row.end()));
  return "# Table 2: supervised, diffusion and their ensemble (DDPM)\n\n" + text.to_markdown() + "\n" +
         table2_legend() + "\n";
}

}  // namespace diffseg::experiment

#include "diffseg/experiment/report.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <map>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/core/results.h"
#include "diffseg/experiment/example_gallery.h"
#include "diffseg/experiment/html.h"
#include "diffseg/experiment/line_chart.h"
#include "diffseg/experiment/table2.h"

namespace diffseg::experiment {
namespace fs = std::filesystem;

namespace {

double num(const std::string& s) {
  if (s.empty()) return std::nan("");
  try {
    return std::stod(s);
  } catch (...) {
    return std::nan("");
  }
}

// `format_numbers`: numeric cells with decimals shown with 4 of them; false for a table already formatted as text.
std::string html_table(const CsvData& d, const std::string& id, bool format_numbers = true) {
  std::string out = "<table id=\"" + id + "\"><thead><tr>";
  for (const auto& h : d.header) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead><tbody>";
  char buf[64];
  for (const auto& row : d.rows) {
    out += "<tr>";
    for (const auto& cell : row) {
      const double v = num(cell);
      if (format_numbers && !cell.empty() && std::isfinite(v) &&
          cell.find_first_not_of("0123456789-") != std::string::npos) {
        std::snprintf(buf, sizeof buf, "%.4f", v);
        out += "<td>" + std::string(buf) + "</td>";
      } else {
        out += "<td>" + html_escape(cell.empty() ? "NaN" : cell) + "</td>";
      }
    }
    out += "</tr>";
  }
  return out + "</tbody></table>";
}

// One series per run from a per-run CSV (x column, y column), smoothed by a running mean over `window` rows.
std::vector<Series> per_run(const fs::path& runs, const std::string& file, const std::string& x, const std::string& y,
                            size_t window) {
  std::vector<Series> out;
  if (!fs::is_directory(runs)) return out;
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(runs))
    if (e.is_directory()) folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());
  for (const auto& f : folders) {
    const CsvData d = read_csv(f / file);
    const int xi = d.column(x), yi = d.column(y);
    if (xi < 0 || yi < 0) continue;
    Series s{f.filename().string(), {}, {}};
    double sum = 0;
    std::vector<double> recent;
    for (const auto& row : d.rows) {
      const double v = num(row[static_cast<size_t>(yi)]);
      if (!std::isfinite(v)) continue;
      recent.push_back(v);
      sum += v;
      if (recent.size() > window) {
        sum -= recent[recent.size() - window - 1];
      }
      s.x.push_back(num(row[static_cast<size_t>(xi)]));
      s.y.push_back(sum / static_cast<double>(std::min(recent.size(), window)));
    }
    out.push_back(s);
  }
  return out;
}

// results/leakage.csv as text: Dice columns with 4 decimals, ā with 4 significant digits (it reaches 4e-5, which
// 4 decimals would show as 0), indices as written.
CsvData leakage_display(const CsvData& d) {
  CsvData out = d;
  char buf[64];
  for (size_t r = 0; r < d.rows.size(); ++r)
    for (size_t c = 0; c < d.header.size() && c < d.rows[r].size(); ++c) {
      const std::string& name = d.header[c];
      const double v = num(d.rows[r][c]);
      if (!std::isfinite(v)) continue;
      if (name == "alpha_bar") std::snprintf(buf, sizeof buf, "%.4g", v);
      else if (name == "gap" || name.rfind("dice_", 0) == 0) std::snprintf(buf, sizeof buf, "%.4f", v);
      else continue;
      out.rows[r][c] = buf;
    }
  return out;
}

// One chart series per value of `name_of(row)`, in name order, with x and y read from the named columns (by name:
// the tables may gain columns).
std::vector<Series> series_by(const CsvData& d, const std::function<std::string(size_t)>& name_of,
                              const std::string& x, const std::string& y) {
  std::map<std::string, Series> by_name;
  for (size_t r = 0; r < d.rows.size(); ++r) {
    const std::string name = name_of(r);
    Series& s = by_name[name];
    s.name = name;
    s.x.push_back(d.number(r, x));
    s.y.push_back(d.number(r, y));
  }
  std::vector<Series> series;
  for (auto& [name, s] : by_name) series.push_back(std::move(s));
  return series;
}
std::vector<Series> series_by(const CsvData& d, const std::string& name_column, const std::string& x,
                              const std::string& y) {
  return series_by(d, [&](size_t r) { return d.at(r, name_column); }, x, y);
}

// The leakage section: the gap per level of every diffusion strategy, as a table and a chart over the base
// schedule's index (so a respaced chain's levels line up with a full one's).
std::string leakage_section(const fs::path& csv) {
  const CsvData d = read_csv(csv);
  const std::vector<Series> series = series_by(d, "strategy", "schedule_index", "gap");
  return "<h2>Leakage: what the network sees in training vs inference</h2><p>For each diffusion strategy (first "
         "training seed, test split) and noise level t: the Dice of the network's one-step prediction when its mask "
         "input is the ground truth noised to t (dice_truth_input, what plain diffusion training shows it) and when "
         "it is its own prediction from x_T noised to t (dice_own_prediction_input, what it sees when sampling); gap "
         "= the first minus the second. Plain diffusion learns to copy the noised truth and shows a large gap at low "
         "and middle t; recycling (rec_xT) is trained on its own prediction and shows a small gap at every level. Near "
         "the end of the chain both inputs are almost pure noise and every gap goes to 0 (docs/leakage.md).</p>" +
         line_chart_html("Leakage gap per noise level (test split)", series, "t (index in the base schedule)",
                         "Dice gap (truth input − own prediction input)", true) +
         html_table(leakage_display(d), "leakage", false);
}

}  // namespace

void write_report(const fs::path& exp, const fs::path& html) {
  const fs::path results = exp / "results";
  if (!fs::exists(results / "table1.csv"))
    throw InputError(results / "table1.csv", "not found: run `diffseg experiment` first (or pass its --out folder)");
  std::string body;
  body += "<h1>diffseg experiment: " + html_escape(exp.filename().string()) + "</h1>";
  body += "<p>Segmentation by Gaussian diffusion in a few sampling steps (the experiment's eval.steps); every step's prediction is scored. Dice is "
          "the mean over foreground classes per case, then mean ± standard deviation over the test cases; HD95 is in "
          "mm (pixels for 2D data without spacing).</p>";
  body += "<h2>Table 1 — last sampling step, per strategy and sampler</h2>" + html_table(read_csv(results / "table1.csv"), "table1");
  if (fs::exists(results / "table2.csv")) {
    body += "<h2>Table 2 — supervised, diffusion and their ensemble (DDPM)</h2>";
    const CsvData table2 = read_csv(results / "table2.csv");
    if (has_table2_columns(results / "table2.csv"))
      body += html_table(table2_display(table2), "table2", false) + "<p>" + html_escape(table2_legend()) + "</p>";
    else  // written before the HD95 test and the interval: shown as it is
      body += html_table(table2, "table2") + "<p>Written by an older diffseg: run <code>diffseg experiment</code> "
              "again for the HD95 test and the interval of the Dice difference.</p>";
  }
  body += "<h2>Table 4 — seed variance per step (DDPM)</h2><p>Mean over cases of the largest difference between "
          "inference seeds.</p>" + html_table(read_csv(results / "table4.csv"), "table4");
  if (fs::exists(results / "train_seeds.csv"))
    body += "<h2>Training-seed variance (last sampling step)</h2><p>Mean ± standard deviation over training seeds of "
            "the test-set means, beside the inference-seed variance of Table 4 averaged over the training seeds.</p>" +
            html_table(read_csv(results / "train_seeds.csv"), "train_seeds");

  // Dice per sampling step, one series per strategy × sampler.
  const CsvData steps = read_csv(results / "steps.csv");
  const std::vector<Series> step_series = series_by(steps, [&](size_t r) {
    const std::string& sampler = steps.at(r, "sampler");
    return steps.at(r, "strategy") + (sampler == "-" ? "" : " " + sampler);
  }, "step", "dice_mean");
  body += "<h2>Dice per sampling step</h2>" + line_chart_html("Test Dice per sampling step", step_series, "step", "Dice", true);
  const std::vector<Series> variance_series =
      series_by(read_csv(results / "table4.csv"), "strategy", "step", "dice_seed_range");
  body += line_chart_html("Seed variance of Dice per sampling step (DDPM)", variance_series, "step",
                         "mean max-min Dice across seeds", true);
  if (fs::exists(results / "leakage.csv")) body += leakage_section(results / "leakage.csv");
  body += "<h2>Training</h2>";
  body += line_chart_html("Training loss (running mean of 10 steps)", per_run(exp / "runs", "log.csv", "step", "loss", 10),
                         "step", "loss");
  body += line_chart_html("Validation Dice", per_run(exp / "runs", "validation.csv", "step", "mean_dice", 1), "step",
                         "mean foreground Dice", true);
  body += example_gallery_html(exp / "runs");

  const std::string page =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>diffseg report</title><style>"
      "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
      "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}figure.chart{margin:1em 0}"
      "svg.chart{display:block;font-size:11px}svg.chart .title{font-weight:bold;font-size:13px}"
      ".axis path,.axis line{fill:none;stroke:#888;shape-rendering:crispEdges}path.line{fill:none;stroke-width:2px}"
      "table.examples td{padding:1px}img.example{display:block;min-width:96px;max-width:240px;image-rendering:pixelated}"
      "</style></head><body>" + body + chart_scripts() + "</body></html>\n";
  write_text_atomically(html, page);
}

}  // namespace diffseg::experiment

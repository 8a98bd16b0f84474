#include "diffseg/experiment/example_gallery.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "diffseg/core/base64.h"
#include "diffseg/experiment/html.h"

namespace diffseg::experiment {
namespace fs = std::filesystem;

namespace {
std::string image_tag(const fs::path& file, const std::string& title) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "<td>missing</td>";
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return "<td><img class=\"example\" title=\"" + html_escape(title) + "\" alt=\"" + html_escape(title) +
         "\" src=\"data:image/png;base64," + base64_encode(bytes.str()) + "\"></td>";
}

// The folder with the figures of one run: the DDPM evaluation, or the supervised one.
fs::path examples_of(const fs::path& run) {
  for (const char* name : {"eval_test_ddpm", "eval_test_none", "eval_test_ddim"})
    if (fs::exists(run / name / "examples" / "index.json")) return run / name / "examples";
  return {};
}
}  // namespace

std::string example_gallery_html(const fs::path& runs) {
  if (!fs::is_directory(runs)) return {};
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(runs))
    if (e.is_directory() && !examples_of(e.path()).empty()) folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());
  // case id → (strategy, figure entry)
  std::map<std::string, std::vector<std::pair<fs::path, nlohmann::json>>> by_case;
  size_t max_steps = 0;
  for (const fs::path& run : folders) {
    const fs::path dir = examples_of(run);
    std::ifstream in(dir / "index.json");
    nlohmann::json index;
    try {
      index = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
      continue;  // a damaged index only costs that run's figures
    }
    for (const auto& entry : index) {
      by_case[entry.value("case", "?")].emplace_back(dir, entry);
      max_steps = std::max(max_steps, entry.value("steps", nlohmann::json::array()).size());
    }
  }
  if (by_case.empty()) return {};
  std::string html = "<h2>Examples — test cases, every sampling step (seed 0, DDPM)</h2><p>Ground truth and "
                     "predictions over the image (colours = classes). Uncertainty: normalised entropy of "
                     "the class probabilities averaged over inference seeds (docs/method.md, Uncertainty map), black = "
                     "certain, yellow = maximal. 3D cases show "
                     "axial, coronal and sagittal slices through the centre of the structures.</p>";
  for (const auto& [id, rows] : by_case) {
    html += "<h3>" + html_escape(id) + "</h3><table class=\"examples\"><thead><tr><th>strategy</th><th>image</th>"
            "<th>truth</th>";
    for (size_t t = 1; t <= max_steps; ++t) html += "<th>step " + std::to_string(t) + "</th>";
    html += "<th>uncertainty</th></tr></thead><tbody>";
    for (const auto& [dir, e] : rows) {
      const std::string strategy = dir.parent_path().parent_path().filename().string();
      html += "<tr><td>" + html_escape(strategy) + "</td>";
      html += image_tag(dir / e.value("image", ""), id + " image");
      html += image_tag(dir / e.value("truth", ""), id + " ground truth");
      const auto steps = e.value("steps", nlohmann::json::array());
      for (size_t t = 0; t < max_steps; ++t)
        html += t < steps.size() ? image_tag(dir / steps[t].get<std::string>(), strategy + " step " + std::to_string(t + 1))
                                 : "<td></td>";
      html += image_tag(dir / e.value("uncertainty", ""), strategy + " uncertainty");
      html += "</tr>";
    }
    html += "</tbody></table>";
  }
  return html;
}

}  // namespace diffseg::experiment

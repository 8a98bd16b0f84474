// diffseg metrics --pred P --ref R — Dice, IoU, HD, HD95, ASSD, NSD, centroid distance and volumes per case and
// class, for a pair of files or two folders matched by file name.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "diffseg/core/error.h"
#include "diffseg/core/progress.h"
#include "diffseg/core/results.h"
#include "diffseg/io/case_loader.h"
#include "diffseg/io/image_file.h"
#include "diffseg/metrics/segmentation_metrics.h"

namespace diffseg::cli {
namespace fs = std::filesystem;
namespace {

struct MetricsCmdOptions {
  std::string pred, ref, labels, json, csv, empty = "nan", hd95 = "directed_max", assd = "directed_max";
  double tolerance = 1.0;
};

std::vector<std::pair<fs::path, fs::path>> match_pairs(const fs::path& pred, const fs::path& ref) {
  if (!fs::is_directory(pred) && !fs::is_directory(ref)) return {{pred, ref}};
  if (!fs::is_directory(pred) || !fs::is_directory(ref))
    throw UsageError(fs::is_directory(pred)
                         ? "--pred " + pred.string() + " is a folder but --ref " + ref.string() +
                               " is not: give two files or two folders"
                         : "--ref " + ref.string() + " is a folder but --pred " + pred.string() +
                               " is not: give two files or two folders");
  std::vector<std::pair<fs::path, fs::path>> pairs;
  for (const auto& e : fs::directory_iterator(ref)) {
    if (!e.is_regular_file() || !io::is_image_file_name(e.path())) continue;
    const fs::path p = pred / e.path().filename();
    if (fs::exists(p))
      pairs.emplace_back(p, e.path());
    else
      spdlog::warn("{}: no prediction named like it in {}", e.path().string(), pred.string());
  }
  std::sort(pairs.begin(), pairs.end());
  if (pairs.empty()) throw UsageError("no file names in common between " + pred.string() + " and " + ref.string());
  return pairs;
}

std::vector<int32_t> labels_of(const io::Image& im) {
  const io::Image c = im.cast(io::DType::int32);
  const int32_t* p = c.data<int32_t>();
  return std::vector<int32_t>(p, p + c.size().elements());
}

metrics::Grid grid_of(const io::Image& im) {
  metrics::Grid g;
  g.dims = im.spatial_dims();
  g.size = {im.size().x, im.size().y, im.size().z};
  g.spacing = im.geometry().spacing;
  return g;
}

int run_metrics(const MetricsCmdOptions& o, const GlobalOptions& global) {
  metrics::MetricOptions mo;
  mo.nsd_tolerance_mm = o.tolerance;
  mo.empty = metrics::parse_empty_policy(o.empty);
  mo.hd95 = metrics::parse_surface_aggregate(o.hd95);
  mo.assd = metrics::parse_surface_aggregate(o.assd);
  mo.threads = global.threads;
  std::vector<int> wanted;
  if (!o.labels.empty())
    for (int64_t v : parse_int_list(o.labels, "--labels")) wanted.push_back(static_cast<int>(v));

  const auto pairs = match_pairs(o.pred, o.ref);
  ResultTable table({"case", "label", "dice", "iou", "hd", "hd95", "assd", "nsd", "centroid_dist", "volume_pred",
                     "volume_ref"});
  std::map<int, std::map<std::string, std::vector<double>>> per_label;
  int failed = 0;
  Progress progress("metrics", static_cast<int64_t>(pairs.size()), "cases");
  for (const auto& [pred_path, ref_path] : pairs) {
    try {
      // 255 is allowed only as the foreground of a binary 0/255 PNG mask.
      const io::Image pred = io::read_label_map(pred_path, 255), ref = io::read_label_map(ref_path, 255);
      if (!pred.size().same_spatial(ref.size()) || pred.spatial_dims() != ref.spatial_dims())
        throw InputError(pred_path, "shape differs from the reference " + ref_path.string());
      if (!pred.geometry().approx_equal(ref.geometry()))
        throw InputError(pred_path, "geometry (" + pred.geometry().describe() + ") differs from the reference " +
                                        ref_path.string() + " (" + ref.geometry().describe() + ")");
      const auto p = labels_of(pred), r = labels_of(ref);
      std::vector<int> labels = wanted;
      if (labels.empty()) {
        std::set<int> present;
        for (int32_t v : p) if (v) present.insert(v);
        for (int32_t v : r) if (v) present.insert(v);
        labels.assign(present.begin(), present.end());
      }
      const std::string id = io::stem_of(ref_path);
      for (const metrics::ClassMetrics& m : metrics::compare_label_maps(p, r, grid_of(ref), labels, mo)) {
        table.add({id, static_cast<int64_t>(m.label), m.dice, m.iou, m.hd, m.hd95, m.assd, m.nsd, m.centroid_dist,
                   m.volume_pred, m.volume_ref});
        auto& s = per_label[m.label];
        s["dice"].push_back(m.dice);
        s["hd95"].push_back(m.hd95);
        s["assd"].push_back(m.assd);
        s["nsd"].push_back(m.nsd);
      }
    } catch (const InputError& e) {
      spdlog::error("{}", e.what());
      ++failed;
    }
    progress.advance();
  }
  progress.finish();
  // Nothing could be scored: no result files, which would look like a valid empty result.
  if (failed == static_cast<int>(pairs.size())) {
    spdlog::error("none of the {} case(s) could be evaluated (see above); no results written", pairs.size());
    return static_cast<int>(ExitCode::bad_input);
  }
  if (!o.json.empty()) table.write_json(o.json);
  if (!o.csv.empty()) table.write_csv(o.csv);
  const bool pixels = io::format_of(pairs.front().second) == io::FileFormat::png;
  std::printf("%-6s %-32s %-32s\n", "label", "Dice", pixels ? "HD95 (px)" : "HD95 (mm)");
  for (const auto& [label, s] : per_label)
    std::printf("%-6d %-32s %-32s\n", label, format_summary(summarise(s.at("dice"))).c_str(),
                format_summary(summarise(s.at("hd95"))).c_str());
  if (failed) {
    spdlog::error("{} of {} case(s) could not be evaluated (see above)", failed, pairs.size());
    return static_cast<int>(ExitCode::bad_input);
  }
  return 0;
}

}  // namespace

void add_metrics_command(CLI::App& app, const GlobalOptions& global, Action& run) {
  auto o = std::make_shared<MetricsCmdOptions>();
  CLI::App* cmd = app.add_subcommand("metrics", "Compare predicted and reference label maps (files or folders)");
  cmd->add_option("--pred", o->pred, "predicted label map, or a folder of them")->required();
  cmd->add_option("--ref", o->ref, "reference label map, or a folder matched by file name")->required();
  cmd->add_option("--labels", o->labels, "classes to score, e.g. 1,2,3 (default: every non-zero value present)");
  cmd->add_option("--json", o->json, "write per-case, per-class records as JSON");
  cmd->add_option("--csv", o->csv, "write per-case, per-class records as CSV");
  cmd->add_option("--tolerance", o->tolerance, "normalised surface Dice tolerance in mm")
      ->capture_default_str()
      ->check(finite_at_least(0));
  const auto aggregate = accepted_by([](const std::string& t) { metrics::parse_surface_aggregate(t); }, "AGGREGATE");
  cmd->add_option("--empty", o->empty, "empty masks: nan (reference), monai, worst")
      ->capture_default_str()
      ->check(accepted_by([](const std::string& t) { metrics::parse_empty_policy(t); }, "POLICY"));
  cmd->add_option("--hd95", o->hd95, "directed_max (reference, MONAI) or pooled (medpy)")
      ->capture_default_str()
      ->check(aggregate);
  cmd->add_option("--assd", o->assd, "directed_max (reference) or pooled (MONAI symmetric, medpy)")
      ->capture_default_str()
      ->check(aggregate);
  cmd->callback([&run, o, &global] { run = [o, &global] { return run_metrics(*o, global); }; });
}

}  // namespace diffseg::cli

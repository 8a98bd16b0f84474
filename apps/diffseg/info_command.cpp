// diffseg info FILE — what a medical image file holds: grid, geometry, data type, intensities, label values.
#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "diffseg/io/image_file.h"
#include "diffseg/io/image_stats.h"

namespace diffseg::cli {
namespace {

struct InfoOptions {
  std::string file;
  bool json = false;
};

nlohmann::json to_json(const std::string& file, const io::Image& im, const io::ImageStats& st) {
  nlohmann::json j;
  j["file"] = file;
  j["format"] = io::format_of(file) == io::FileFormat::png ? "png" : "nifti";
  j["spatial_dims"] = im.spatial_dims();
  j["size"] = im.spatial_dims() == 2 ? nlohmann::json{im.size().x, im.size().y}
                                     : nlohmann::json{im.size().x, im.size().y, im.size().z};
  j["channels"] = im.size().channels;
  j["dtype"] = io::dtype_name(im.dtype());
  const io::Geometry& g = im.geometry();
  j["spacing"] = g.spacing;
  j["origin"] = g.origin;
  j["direction"] = g.direction;
  j["affine"] = g.affine();
  j["min"] = st.min;
  j["max"] = st.max;
  j["mean"] = st.mean;
  j["non_finite"] = st.non_finite;
  if (!st.value_counts.empty()) {
    nlohmann::json counts = nlohmann::json::object();
    for (const auto& [v, n] : st.value_counts) counts[std::to_string(v)] = n;
    j["value_counts"] = counts;
  }
  return j;
}

int run_info(const InfoOptions& o) {
  const io::Image im = io::read_image(o.file);
  const io::ImageStats st = io::compute_stats(im, 64);
  if (o.json) {
    std::cout << to_json(o.file, im, st).dump(2) << '\n';
    return 0;
  }
  const bool png = io::format_of(o.file) == io::FileFormat::png;
  const char* unit = png ? "px" : "mm";
  const io::Geometry& g = im.geometry();
  std::printf("file        %s\n", o.file.c_str());
  std::printf("format      %s, %dD, %lld channel(s), %s\n", png ? "PNG" : "NIfTI", im.spatial_dims(),
              static_cast<long long>(im.size().channels), std::string(io::dtype_name(im.dtype())).c_str());
  if (im.spatial_dims() == 2)
    std::printf("size (x,y)  %lld x %lld  (as an array: %lld rows x %lld columns)\n",
                static_cast<long long>(im.size().x), static_cast<long long>(im.size().y),
                static_cast<long long>(im.size().y), static_cast<long long>(im.size().x));
  else
    std::printf("size (x,y,z) %lld x %lld x %lld\n", static_cast<long long>(im.size().x),
                static_cast<long long>(im.size().y), static_cast<long long>(im.size().z));
  std::printf("spacing     %g x %g x %g %s\n", g.spacing[0], g.spacing[1], g.spacing[2], unit);
  std::printf("origin      (%g, %g, %g) %s\n", g.origin[0], g.origin[1], g.origin[2], unit);
  std::printf("direction   [%g %g %g; %g %g %g; %g %g %g]\n", g.direction[0][0], g.direction[0][1],
              g.direction[0][2], g.direction[1][0], g.direction[1][1], g.direction[1][2], g.direction[2][0],
              g.direction[2][1], g.direction[2][2]);
  std::printf("affine (voxel -> world, RAS %s)\n%s\n", unit, io::format_affine(g.affine()).c_str());
  std::printf("intensity   min %g, max %g, mean %g", st.min, st.max, st.mean);
  if (st.non_finite) std::printf(", %lld NaN/Inf voxels", static_cast<long long>(st.non_finite));
  std::printf("\n");
  if (st.looks_like_label() && st.value_counts.size() <= 32) {
    const double total = static_cast<double>(im.size().elements());
    std::printf("values      %zu distinct (label map?)\n", st.value_counts.size());
    for (const auto& [v, n] : st.value_counts)
      std::printf("  %6lld: %12lld voxels (%5.2f%%)\n", static_cast<long long>(v), static_cast<long long>(n),
                  100.0 * static_cast<double>(n) / total);
  }
  return 0;
}

}  // namespace

void add_info_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* cmd = app.add_subcommand("info", "Print an image's size, spacing, origin, direction/affine, data type, "
                                             "intensity range and (for label maps) label values with voxel counts");
  cmd->add_option("file", o->file, "NIfTI (.nii, .nii.gz) or PNG file")->required();
  cmd->add_flag("--json", o->json, "print JSON instead of text");
  cmd->callback([&run, o] { run = [o] { return run_info(*o); }; });
}

}  // namespace diffseg::cli

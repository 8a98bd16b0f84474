#include "diffseg/io/case_loader.h"

#include <sstream>

#include "diffseg/core/error.h"
#include "diffseg/io/image_file.h"
#include "diffseg/io/image_stats.h"

namespace diffseg::io {
namespace fs = std::filesystem;

namespace {
std::string shape_text(const Image& im) {
  std::ostringstream s;
  s << im.size().x << "x" << im.size().y;
  if (im.spatial_dims() == 3) s << "x" << im.size().z;
  return s.str();
}
}  // namespace

Image read_label_map(const fs::path& path, int num_classes) {
  Image label = read_image(path);
  if (label.size().channels != 1)
    throw InputError(path, "a label map must have one channel, found " + std::to_string(label.size().channels));
  ImageStats stats = compute_stats(label, 4096);
  if (stats.non_finite > 0)
    throw InputError(path, "label map contains " + std::to_string(stats.non_finite) + " NaN/Inf voxels");
  if (!stats.integer_valued) throw InputError(path, "label values must be whole numbers (class ids)");
  if (stats.value_counts.empty())
    throw InputError(path, "label map has more than 4096 distinct values; is this an intensity image?");

  const bool binary_png = format_of(path) == FileFormat::png && num_classes <= 255 && stats.value_counts.size() <= 2 &&
                          stats.value_counts.count(255) && (stats.value_counts.size() == 1 || stats.value_counts.count(0));
  std::vector<int64_t> bad;
  for (const auto& [value, count] : stats.value_counts)
    if ((value < 0 || value >= num_classes) && !(binary_png && value == 255)) bad.push_back(value);
  if (!bad.empty()) {
    std::ostringstream msg;
    msg << "label values outside the dataset's classes 0.." << num_classes - 1 << ":";
    for (std::size_t i = 0; i < bad.size() && i < 10; ++i) msg << ' ' << bad[i];
    throw InputError(path, msg.str());
  }

  const DType out_type = num_classes <= 256 ? DType::uint8 : DType::int16;
  Image out = label.cast(out_type);
  if (binary_png) {
    uint8_t* p = out.data<uint8_t>();
    for (int64_t i = 0; i < out.size().elements(); ++i) p[i] = p[i] == 255 ? 1 : p[i];
  }
  return out;
}

Case load_case(const Dataset& dataset, const DatasetEntry& entry) {
  Case c;
  c.id = entry.id;
  std::vector<Image> channels;
  for (const fs::path& p : entry.images) {
    Image im = read_image(p).cast(DType::float32);
    if (!channels.empty()) {
      const Image& first = channels.front();
      if (!im.size().same_spatial(first.size()) || im.spatial_dims() != first.spatial_dims())
        throw InputError(p, "shape " + shape_text(im) + " differs from " + entry.images.front().string() + " (" +
                                shape_text(first) + ")");
      if (!im.geometry().approx_equal(first.geometry()))
        throw InputError(p, "geometry (" + im.geometry().describe() + ") differs from " +
                                entry.images.front().string() + " (" + first.geometry().describe() + ")");
    }
    const ImageStats stats = compute_stats(im, 0);
    if (stats.non_finite > 0)
      throw InputError(p, "contains " + std::to_string(stats.non_finite) + " NaN/Inf intensities");
    channels.push_back(std::move(im));
  }
  c.image = channels.size() == 1 ? std::move(channels.front()) : Image::stack_channels(channels);
  if (!dataset.modalities.empty() && c.image.size().channels != static_cast<int64_t>(dataset.modalities.size()))
    throw InputError(entry.images.front(), "has " + std::to_string(c.image.size().channels) +
                                               " channel(s) but dataset.json lists " +
                                               std::to_string(dataset.modalities.size()) + " modalities");

  if (!entry.label.empty()) {
    c.label = read_label_map(entry.label, dataset.num_classes());
    if (!c.label.size().same_spatial(c.image.size()) || c.label.spatial_dims() != c.image.spatial_dims())
      throw InputError(entry.label, "label shape " + shape_text(c.label) + " differs from image shape " +
                                        shape_text(c.image) + " (" + entry.images.front().string() + ")");
    if (!c.label.geometry().approx_equal(c.image.geometry()))
      throw InputError(entry.label, "label geometry (" + c.label.geometry().describe() +
                                        ") differs from the image's (" + c.image.geometry().describe() + ")");
  }
  return c;
}

}  // namespace diffseg::io

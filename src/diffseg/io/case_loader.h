#pragma once
// Reads one dataset case and checks it is usable: channel files agree in shape and geometry, intensities are
// finite, the label matches the image grid, and label values are whole numbers among the dataset's classes.
#include <string>

#include "diffseg/io/dataset.h"
#include "diffseg/io/image.h"

namespace diffseg::io {

struct Case {
  std::string id;
  Image image;  // float32, one channel per modality
  Image label;  // uint8 class ids (int16 beyond 255 classes); empty when the entry has none
};

Case load_case(const Dataset& dataset, const DatasetEntry& entry);

// Label-map reading with the dataset conventions: values must be whole numbers; a PNG holding only {0, 255} is a
// binary mask and becomes {0, 1} (unless 255 is itself a declared class). `num_classes` bounds the values.
Image read_label_map(const std::filesystem::path& path, int num_classes);

}  // namespace diffseg::io

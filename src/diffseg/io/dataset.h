#pragma once
// A dataset folder described by a Medical-Segmentation-Decathlon-style dataset.json:
//   {"name": ..., "modality": {"0": "CT"}, "labels": {"0": "background", "1": "liver"},
//    "training": [{"image": "./imagesTr/a.nii.gz", "label": "./labelsTr/a.nii.gz"}],
//    "validation": [...], "test": ["./imagesTs/b.nii.gz" or {"image": ..., "label": ...}]}
// An "image" may be a list of files stacked as channels (e.g. BraTS' four MR sequences). Paths are relative to the
// folder holding dataset.json.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace diffseg::io {

struct DatasetEntry {
  std::string id;                                // from the first image file's name
  std::vector<std::filesystem::path> images;     // absolute or relative to the working folder; one per channel file
  std::filesystem::path label;                   // empty when the entry has none (unlabelled test images)
};

// A region scored as one structure: the union of some classes (BraTS: whole tumour = classes 1, 2, 3). Overlapping
// regions are how BraTS is evaluated; the network still predicts the mutually exclusive classes.
struct Region {
  std::string name;
  std::vector<int> labels;  // class ids in 1..K-1
};

struct Dataset {
  std::filesystem::path root;  // folder with dataset.json
  std::string name, description;
  std::vector<std::string> modalities;  // channel names, in channel order (may be empty)
  std::map<int, std::string> labels;    // class id → name, ids 0..K-1 with 0 = background
  std::vector<DatasetEntry> training, validation, test;
  // How `diffseg prepare` made the images from the raw scans, as a JSON object (data::PreprocessOptions::to_json);
  // empty when the file does not say (a dataset prepared by hand or by an older diffseg).
  std::string preprocessing;
  // "regions": [{"name": ..., "labels": [...]}, ...]; when present, evaluation scores these instead of the classes.
  std::vector<Region> regions;

  int num_classes() const { return static_cast<int>(labels.size()); }
  // "training"/"train", "validation"/"valid"/"val", "test"; UsageError for other names.
  const std::vector<DatasetEntry>& split(std::string_view name) const;
};

// Accepts the folder or the dataset.json itself. Checks the structure and that every listed file exists; the
// InputError names dataset.json and the offending entry. `prepare` reads a raw download with
// ListedFiles::may_be_missing: a missing file is then that case's problem (skipped and reported), not the whole
// dataset's.
enum class ListedFiles { must_exist, may_be_missing };
Dataset read_dataset(const std::filesystem::path& folder_or_file, ListedFiles listed = ListedFiles::must_exist);

// Writes <root>/dataset.json atomically, with paths relative to root.
void write_dataset(const Dataset& dataset);

}  // namespace diffseg::io

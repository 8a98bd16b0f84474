#include "diffseg/io/dataset.h"

#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/io/file_checks.h"
#include "diffseg/io/json_file.h"
#include "diffseg/io/image_file.h"

namespace diffseg::io {
namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<DatasetEntry>& Dataset::split(std::string_view name) const {
  if (name == "training" || name == "train") return training;
  if (name == "validation" || name == "valid" || name == "val") return validation;
  if (name == "test") return test;
  throw UsageError("unknown split '" + std::string(name) + "' (use training, validation or test)");
}

namespace {

std::vector<fs::path> parse_image_field(const fs::path& file, const std::string& where, const json& v) {
  std::vector<fs::path> out;
  if (v.is_string()) {
    out.emplace_back(v.get<std::string>());
  } else if (v.is_array() && !v.empty()) {
    for (const json& item : v) {
      if (!item.is_string()) throw InputError(file, where + ": \"image\" list must hold file names");
      out.emplace_back(item.get<std::string>());
    }
  } else {
    throw InputError(file, where + ": \"image\" must be a file name or a non-empty list of file names");
  }
  return out;
}

std::vector<DatasetEntry> parse_split(const fs::path& file, const fs::path& root, const json& doc,
                                      const std::string& key, bool labels_required) {
  std::vector<DatasetEntry> entries;
  if (!doc.contains(key)) return entries;
  const json& list = doc.at(key);
  if (!list.is_array()) throw InputError(file, "\"" + key + "\" must be a list");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = "\"" + key + "\"[" + std::to_string(i) + "]";
    const json& item = list[i];
    DatasetEntry e;
    if (item.is_object()) {
      if (!item.contains("image")) throw InputError(file, where + " has no \"image\"");
      e.images = parse_image_field(file, where, item.at("image"));
      if (item.contains("label") && !item.at("label").is_null()) {
        if (!item.at("label").is_string()) throw InputError(file, where + ": \"label\" must be a file name");
        e.label = item.at("label").get<std::string>();
      }
    } else {
      e.images = parse_image_field(file, where, item);
    }
    if (labels_required && e.label.empty()) throw InputError(file, where + " has no \"label\"");
    for (fs::path& p : e.images) p = (root / p).lexically_normal();
    if (!e.label.empty()) e.label = (root / e.label).lexically_normal();
    e.id = stem_of(e.images.front());
    if (!ids.insert(e.id).second) throw InputError(file, where + ": case id '" + e.id + "' appears twice");
    entries.push_back(std::move(e));
  }
  return entries;
}

void check_files_exist(const fs::path& file, const Dataset& d) {
  std::vector<std::string> missing;
  std::size_t count = 0;
  auto check = [&](const fs::path& p) {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      ++count;
      if (missing.size() < 5) missing.push_back(p.string());
    }
  };
  for (const auto* split : {&d.training, &d.validation, &d.test})
    for (const DatasetEntry& e : *split) {
      for (const fs::path& p : e.images) check(p);
      if (!e.label.empty()) check(e.label);
    }
  if (count == 0) return;
  std::ostringstream msg;
  msg << count << " listed file(s) do not exist, e.g.";
  for (const std::string& m : missing) msg << "\n  " << m;
  throw InputError(file, msg.str());
}

}  // namespace

Dataset read_dataset(const fs::path& folder_or_file, ListedFiles listed) {
  const fs::path file = fs::is_directory(folder_or_file) ? folder_or_file / "dataset.json" : folder_or_file;
  const json doc = read_json_file(file);
  if (!doc.is_object()) throw InputError(file, "expected a JSON object at the top level");

  Dataset d;
  d.root = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  try {
    d.name = doc.value("name", std::string{});
    d.description = doc.value("description", std::string{});
    if (doc.contains("preprocessing")) {
      if (!doc.at("preprocessing").is_object()) throw InputError(file, "\"preprocessing\" must be an object");
      d.preprocessing = doc.at("preprocessing").dump();
    }
    if (doc.contains("modality")) {
      const json& m = doc.at("modality");
      if (!m.is_object()) throw InputError(file, "\"modality\" must be an object {\"0\": \"CT\", ...}");
      std::map<int, std::string> by_index;
      for (auto it = m.begin(); it != m.end(); ++it) by_index[std::stoi(it.key())] = it.value().get<std::string>();
      for (int i = 0; i < static_cast<int>(by_index.size()); ++i) {
        if (!by_index.count(i)) throw InputError(file, "\"modality\" keys must be 0..N-1");
        d.modalities.push_back(by_index.at(i));
      }
    }
    if (!doc.contains("labels") || !doc.at("labels").is_object() || doc.at("labels").empty())
      throw InputError(file, "missing \"labels\" (an object like {\"0\": \"background\", \"1\": \"organ\"})");
    for (auto it = doc.at("labels").begin(); it != doc.at("labels").end(); ++it) {
      std::size_t used = 0;
      const int id = std::stoi(it.key(), &used);
      if (used != it.key().size()) throw InputError(file, "\"labels\" key '" + it.key() + "' is not an integer");
      if (!it.value().is_string()) throw InputError(file, "\"labels\" value for " + it.key() + " must be a name");
      d.labels[id] = it.value().get<std::string>();
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(file, std::string("malformed \"modality\" or \"labels\": ") + e.what());
  }
  for (int i = 0; i < d.num_classes(); ++i)
    if (!d.labels.count(i))
      throw InputError(file, "\"labels\" must use the ids 0..K-1 (0 = background); id " + std::to_string(i) +
                                 " is missing");
  if (d.num_classes() < 2) throw InputError(file, "\"labels\" needs background and at least one class");

  if (doc.contains("regions")) {
    const json& list = doc.at("regions");
    if (!list.is_array()) throw InputError(file, "\"regions\" must be a list of {\"name\", \"labels\"}");
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = "\"regions\"[" + std::to_string(i) + "]";
      const json& r = list[i];
      if (!r.is_object() || !r.contains("name") || !r.at("name").is_string() || r.at("name").get<std::string>().empty() ||
          !r.contains("labels") || !r.at("labels").is_array() || r.at("labels").empty())
        throw InputError(file, where + " needs a \"name\" and a non-empty \"labels\" list");
      Region region{r.at("name").get<std::string>(), {}};
      if (!names.insert(region.name).second) throw InputError(file, where + ": region '" + region.name + "' appears twice");
      for (const json& l : r.at("labels")) {
        if (!l.is_number_integer() || l.get<int>() < 1 || l.get<int>() >= d.num_classes())
          throw InputError(file, where + ": labels must be class ids 1.." + std::to_string(d.num_classes() - 1));
        region.labels.push_back(l.get<int>());
      }
      d.regions.push_back(std::move(region));
    }
  }
  d.training = parse_split(file, d.root, doc, "training", true);
  d.validation = parse_split(file, d.root, doc, "validation", true);
  d.test = parse_split(file, d.root, doc, "test", false);
  if (d.training.empty() && d.validation.empty() && d.test.empty())
    throw InputError(file, "lists no cases (\"training\", \"validation\" and \"test\" are all empty or missing)");
  if (listed == ListedFiles::must_exist) check_files_exist(file, d);
  return d;
}

void write_dataset(const Dataset& d) {
  auto rel = [&](const fs::path& p) { return "./" + p.lexically_relative(d.root).generic_string(); };
  auto entries = [&](const std::vector<DatasetEntry>& list) {
    json out = json::array();
    for (const DatasetEntry& e : list) {
      json item;
      if (e.images.size() == 1) {
        item["image"] = rel(e.images.front());
      } else {
        json images = json::array();
        for (const fs::path& p : e.images) images.push_back(rel(p));
        item["image"] = images;
      }
      if (!e.label.empty()) item["label"] = rel(e.label);
      out.push_back(item);
    }
    return out;
  };
  json doc;
  doc["name"] = d.name;
  doc["description"] = d.description;
  if (!d.preprocessing.empty()) doc["preprocessing"] = json::parse(d.preprocessing);
  json modality = json::object();
  for (std::size_t i = 0; i < d.modalities.size(); ++i) modality[std::to_string(i)] = d.modalities[i];
  doc["modality"] = modality;
  json labels = json::object();
  for (const auto& [id, name] : d.labels) labels[std::to_string(id)] = name;
  doc["labels"] = labels;
  if (!d.regions.empty()) {
    json regions = json::array();
    for (const Region& r : d.regions) regions.push_back({{"name", r.name}, {"labels", r.labels}});
    doc["regions"] = regions;
  }
  doc["numTraining"] = d.training.size();
  doc["numValidation"] = d.validation.size();
  doc["numTest"] = d.test.size();
  doc["training"] = entries(d.training);
  doc["validation"] = entries(d.validation);
  doc["test"] = entries(d.test);

  write_text_atomically(d.root / "dataset.json", doc.dump(2) + "\n");
}

}  // namespace diffseg::io

#include "diffseg/model/weights.h"

#include <fstream>
#include <iterator>
#include <set>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"

namespace diffseg::model {
namespace fs = std::filesystem;

void save_tensors(const std::map<std::string, torch::Tensor>& tensors, const fs::path& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, t] : tensors) dict.insert(name, t.detach().to(torch::kCPU).contiguous());
  const std::vector<char> bytes = torch::pickle_save(dict);
  write_atomically(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw OutputError(path, "write failed (disk full or not writable?)");
  });
}

void save_state_dict(const torch::nn::Module& module, const fs::path& path) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : module.named_parameters()) tensors[p.key()] = p.value();
  for (const auto& b : module.named_buffers()) tensors[b.key()] = b.value();
  save_tensors(tensors, path);
}

std::map<std::string, torch::Tensor> load_tensors(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open weights file");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw InputError(path, "empty weights file");
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {  // without LibTorch's C++ backtrace, which says nothing about the file
    throw InputError(path, std::string("not a readable PyTorch weights file: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw InputError(path, std::string("not a readable PyTorch weights file: ") + e.what());
  }
  if (!value.isGenericDict()) throw InputError(path, "expected a dict of tensors (a state dict)");
  std::map<std::string, torch::Tensor> out;
  for (const auto& kv : value.toGenericDict()) {
    if (!kv.key().isString() || !kv.value().isTensor()) throw InputError(path, "state dict entries must be name → tensor");
    out[kv.key().toStringRef()] = kv.value().toTensor();
  }
  return out;
}

void load_state_dict(torch::nn::Module& module, const fs::path& path) {
  const auto tensors = load_tensors(path);
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  auto copy = [&](const std::string& name, torch::Tensor& dst) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw InputError(path, "missing weight '" + name + "' (was it saved from another model?)");
    if (it->second.sizes() != dst.sizes())
      throw InputError(path, "weight '" + name + "' has shape " + c10::str(it->second.sizes()) + ", the model needs " +
                                 c10::str(dst.sizes()));
    dst.copy_(it->second);
    used.insert(name);
  };
  for (auto& p : module.named_parameters()) copy(p.key(), p.value());
  for (auto& b : module.named_buffers()) copy(b.key(), b.value());
  for (const auto& [name, t] : tensors)
    if (!used.count(name)) throw InputError(path, "unexpected weight '" + name + "' (the model has no such parameter)");
}

}  // namespace diffseg::model

#pragma once
// Model weights as a plain state dict (name → tensor) in PyTorch's pickle format: `torch.load(path)` in Python
// returns a dict that loads into bench/reference/unet.py with load_state_dict; diffseg reads such files back.
#include <filesystem>
#include <map>
#include <string>

#include <torch/torch.h>

namespace diffseg::model {

// Writes atomically. Tensors are saved from the CPU.
void save_state_dict(const torch::nn::Module& module, const std::filesystem::path& path);
void save_tensors(const std::map<std::string, torch::Tensor>& tensors, const std::filesystem::path& path);

// Reads a file written by save_* or by Python's torch.save(dict_of_tensors).
std::map<std::string, torch::Tensor> load_tensors(const std::filesystem::path& path);
// Copies every parameter and buffer of `module` from the file; InputError naming the file when a name is missing,
// unexpected, or has another shape.
void load_state_dict(torch::nn::Module& module, const std::filesystem::path& path);

}  // namespace diffseg::model

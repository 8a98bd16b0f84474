#include "diffseg/train/checkpoint.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "diffseg/core/atomic_file.h"
#include "diffseg/core/error.h"
#include "diffseg/core/fingerprint.h"

namespace diffseg::train {
namespace fs = std::filesystem;

namespace {
at::Tensor scalar(double v) { return torch::tensor(v, torch::kDouble); }

// A checkpoint file is a line "diffseg-checkpoint 1 <size> <FNV-1a of the archive, hex>" and then LibTorch's archive.
// LibTorch's archive reader trusts what it reads: a flipped byte in a type name sent its TorchScript type parser into
// unbounded recursion (found by the mutation fuzzing of tests/fuzz/), so a damaged file must be caught before it.
constexpr const char* kSealMagic = "diffseg-checkpoint 1 ";

void write_sealed(torch::serialize::OutputArchive& archive, const fs::path& path) {
  std::ostringstream bytes;
  archive.save_to(bytes);
  const std::string archive_bytes = bytes.str();
  char header[96];
  std::snprintf(header, sizeof header, "%s%zu %016llx\n", kSealMagic, archive_bytes.size(),
                static_cast<unsigned long long>(fingerprint(archive_bytes)));
  write_atomically(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out << header << archive_bytes;
    out.flush();
    if (!out) throw OutputError(path, "cannot write checkpoint (disk full or not writable?)");
  });
}

// The archive of a checkpoint file, after its size and checksum were checked; InputError naming the file otherwise.
void read_sealed(const fs::path& path, torch::serialize::InputArchive& archive) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open checkpoint");
  std::string header;
  std::getline(in, header);
  if (header.rfind(kSealMagic, 0) != 0)
    throw InputError(path, header.rfind("PK", 0) == 0
                               ? "a checkpoint without a checksum (written by diffseg before 2026-12-06): not read, "
                                 "since a damaged one can crash LibTorch's reader; continue the run with that version"
                               : "not a diffseg checkpoint");
  unsigned long long size = 0, sum = 0;
  if (std::sscanf(header.c_str() + std::char_traits<char>::length(kSealMagic), "%llu %llx", &size, &sum) != 2)
    throw InputError(path, "damaged checkpoint header");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() != size)
    throw InputError(path, "truncated or damaged checkpoint: " + std::to_string(bytes.size()) + " bytes, the header "
                               "says " + std::to_string(size));
  if (fingerprint(bytes) != sum) throw InputError(path, "damaged checkpoint: its checksum does not match");
  std::istringstream stream(bytes);
  archive.load_from(stream);
}

// Module::save writes a module's own tensors under their names and each child module as a nested archive.
void collect_tensors(torch::serialize::InputArchive& archive, const std::string& prefix,
                     std::map<std::string, torch::Tensor>& out) {
  for (const std::string& key : archive.keys()) {
    torch::Tensor t;
    if (archive.try_read(key, t)) {
      out[prefix + key] = t;
      continue;
    }
    torch::serialize::InputArchive child;
    if (archive.try_read(key, child)) collect_tensors(child, prefix + key + ".", out);
  }
}
}  // namespace

void save_checkpoint(const fs::path& path, model::UNet& net, torch::optim::Optimizer& optimizer,
                     const TrainingState& state, const diffusion::TimeSampler& time_sampler) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive, sampler_archive;
  net->save(model_archive);
  optimizer.save(optimizer_archive);
  for (const auto& [name, t] : time_sampler.state()) sampler_archive.write(name, t);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("time_sampler", sampler_archive);
  archive.write("step", scalar(static_cast<double>(state.step)));
  archive.write("skipped", scalar(static_cast<double>(state.skipped)));
  archive.write("best_score", scalar(state.best_score));
  archive.write("best_step", scalar(static_cast<double>(state.best_step)));
  archive.write("evals_without_improvement", scalar(static_cast<double>(state.evals_without_improvement)));
  archive.write("world_size", scalar(static_cast<double>(state.world_size)));
  archive.write("batch_size", scalar(static_cast<double>(state.batch_size)));
  archive.write("accumulate_steps", scalar(static_cast<double>(state.accumulate_steps)));
  archive.write("loss_scale", scalar(state.loss_scale));
  archive.write("loss_scale_good_steps", scalar(static_cast<double>(state.loss_scale_good_steps)));
  try {
    write_sealed(archive, path);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw OutputError(path, std::string("cannot write checkpoint: ") + e.what());
  }
}

void load_checkpoint(const fs::path& path, model::UNet& net, torch::optim::Optimizer& optimizer, TrainingState& state,
                     diffusion::TimeSampler& time_sampler) {
  torch::serialize::InputArchive archive, model_archive, optimizer_archive, sampler_archive;
  try {
    read_sealed(path, archive);
    archive.read("model", model_archive);
    net->load(model_archive);
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    archive.read("time_sampler", sampler_archive);
    std::map<std::string, at::Tensor> sampler_state;
    for (const auto& [name, t] : time_sampler.state()) {
      at::Tensor v;
      sampler_archive.read(name, v);
      sampler_state[name] = v;
    }
    time_sampler.load_state(sampler_state);
    auto read = [&](const char* key) {
      at::Tensor t;
      archive.read(key, t);
      return t.item<double>();
    };
    state.step = static_cast<int64_t>(read("step"));
    state.skipped = static_cast<int64_t>(read("skipped"));
    state.best_score = read("best_score");
    state.best_step = static_cast<int64_t>(read("best_step"));
    state.evals_without_improvement = static_cast<int64_t>(read("evals_without_improvement"));
    at::Tensor layout;
    state.world_size = archive.try_read("world_size", layout) ? static_cast<int64_t>(layout.item<double>()) : 1;
    state.batch_size = archive.try_read("batch_size", layout) ? static_cast<int64_t>(layout.item<double>()) : 0;
    state.accumulate_steps =
        archive.try_read("accumulate_steps", layout) ? static_cast<int64_t>(layout.item<double>()) : 1;
    if (archive.try_read("loss_scale", layout)) state.loss_scale = layout.item<double>();
    if (archive.try_read("loss_scale_good_steps", layout))
      state.loss_scale_good_steps = static_cast<int64_t>(layout.item<double>());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, std::string("cannot restore checkpoint (another model or a damaged file?): ") + e.what());
  }
}

void load_checkpoint_weights(const fs::path& path, model::UNet& net) {
  torch::serialize::InputArchive archive, model_archive;
  try {
    read_sealed(path, archive);
    archive.read("model", model_archive);
    net->load(model_archive);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, std::string("cannot read model weights from checkpoint: ") + e.what());
  }
}

std::map<std::string, torch::Tensor> read_checkpoint_tensors(const fs::path& path) {
  if (!fs::exists(path)) throw InputError(path, "checkpoint not found");
  std::map<std::string, torch::Tensor> tensors;
  try {
    torch::serialize::InputArchive archive, model_archive;
    read_sealed(path, archive);
    archive.read("model", model_archive);
    collect_tensors(model_archive, "", tensors);
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {  // without LibTorch's C++ backtrace, which says nothing about the file
    throw InputError(path, std::string("cannot read model weights from checkpoint: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw InputError(path, std::string("cannot read model weights from checkpoint: ") + e.what());
  }
  if (tensors.empty()) throw InputError(path, "the checkpoint holds no model weights");
  return tensors;
}

}  // namespace diffseg::train

// A checkpoint file through train::load_checkpoint, as `train --resume` reads it (a fresh network per input, so
// no input sees what an earlier one loaded).
#include "diffseg/train/checkpoint.h"
#include "fuzz/checkpoint_subject.h"
#include "fuzz/fuzz_targets.h"
#include "fuzz/input_file.h"
#include "fuzz/refusal.h"

namespace diffseg::fuzz {

int fuzz_checkpoint(const uint8_t* data, size_t size) {
  const auto path = write_input_file("checkpoint.pt", data, size);
  CheckpointSubject s = make_checkpoint_subject();
  train::TrainingState state;
  return accepted_or_refused([&] { train::load_checkpoint(path, s.net, *s.optimizer, state, *s.time_sampler); });
}

}  // namespace diffseg::fuzz

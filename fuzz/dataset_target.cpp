// dataset.json through io::read_dataset. The files it lists are not there (the harness writes only the JSON),
// so it reads as `prepare` does, with ListedFiles::may_be_missing: everything but the existence check, which is a
// plain loop tested in tests/io/test_dataset.cpp.
#include "diffseg/io/dataset.h"
#include "fuzz/fuzz_targets.h"
#include "fuzz/input_file.h"
#include "fuzz/refusal.h"

namespace diffseg::fuzz {

int fuzz_dataset(const uint8_t* data, size_t size) {
  const auto path = write_input_file("dataset.json", data, size);
  return accepted_or_refused([&] { io::read_dataset(path, io::ListedFiles::may_be_missing); });
}

}  // namespace diffseg::fuzz

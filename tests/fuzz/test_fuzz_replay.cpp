// Every committed fuzz input goes through its entry function (fuzz/fuzz_targets.h) and must come back: accepted,
// or refused with a diffseg::Error — never another exception, never a crash. The seeds of fuzz/corpus/<target>/
// also say what they must give: "ok_*" files are valid and must be accepted (an entry or reader that refuses
// everything shows here), "bad_*" files must be refused. fuzz/regressions/<target>/ holds inputs that once
// crashed; they only have to come back. Every build also mutates every seed a bounded number of times (seeded, so a
// failure repeats), which is how the checkpoint reader, whose libFuzzer program needs a LibTorch built with clang,
// is fuzzed in every CI run.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "fuzz/fuzz_targets.h"

namespace fs = std::filesystem;
using namespace diffseg::fuzz;

// Named, not anonymous: in a unity build this file is not the main file, and gtest's test classes derive from
// FuzzReplay (GCC warns about a base with internal linkage there).
namespace fuzz_replay {

struct Target {
  const char* name;  // folder name under fuzz/corpus/ and fuzz/regressions/
  int (*entry)(const uint8_t*, size_t);
};
void PrintTo(const Target& target, std::ostream* out) { *out << target.name; }

const Target kTargets[] = {{"nifti", fuzz_nifti},     {"nifti_gz", fuzz_nifti_gz}, {"png", fuzz_png},
                           {"dataset", fuzz_dataset}, {"config", fuzz_config},     {"checkpoint", fuzz_checkpoint}};

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  if (fs::is_directory(folder))
    for (const auto& e : fs::directory_iterator(folder))
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The entry's outcome, or a test failure naming the file and what escaped.
int replay(const Target& target, const fs::path& file) {
  const std::string bytes = read_bytes(file);
  try {
    return target.entry(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  } catch (const std::exception& e) {
    ADD_FAILURE() << file << ": " << e.what() << " escaped (not a diffseg::Error)";
  } catch (...) {
    ADD_FAILURE() << file << ": a non-std exception escaped";
  }
  return -1;
}

bool starts_with(const fs::path& file, const char* prefix) { return file.filename().string().rfind(prefix, 0) == 0; }

class FuzzReplay : public ::testing::TestWithParam<Target> {
 protected:
  static void SetUpTestSuite() { spdlog::set_level(spdlog::level::off); }  // warnings about odd seeds are expected
  static void TearDownTestSuite() { spdlog::set_level(spdlog::level::info); }
};

}  // namespace fuzz_replay
using namespace fuzz_replay;

TEST_P(FuzzReplay, SeedsGiveTheOutcomeTheirNameSays) {
  const Target& target = GetParam();
  const auto seeds = files_in(fs::path(DIFFSEG_FUZZ_DIR) / "corpus" / target.name);
  int valid = 0;
  for (const fs::path& file : seeds) {
    const int outcome = replay(target, file);
    if (starts_with(file, "ok_")) {
      ++valid;
      EXPECT_EQ(outcome, kAccepted) << file << " is a valid input and must be accepted";
    } else if (starts_with(file, "bad_")) {
      EXPECT_EQ(outcome, kRefused) << file << " is an invalid input and must be refused";
    }
  }
  EXPECT_GT(valid, 0) << "fuzz/corpus/" << target.name << "/ needs at least one valid seed (ok_*); "
                      << "fuzz/make_corpus.py writes them";
}

TEST_P(FuzzReplay, InputsThatOnceCrashedComeBack) {
  const Target& target = GetParam();
  for (const fs::path& file : files_in(fs::path(DIFFSEG_FUZZ_DIR) / "regressions" / target.name))
    replay(target, file);
}

// Seeded mutations of every seed, as libFuzzer's simplest mutators make them: flipped bits, bytes set to boundary
// values, a truncation, a deleted or repeated range. DIFFSEG_FUZZ_MUTATIONS sets how many per seed (default 24).
TEST_P(FuzzReplay, SeededMutationsOfEverySeedComeBack) {
  const Target& target = GetParam();
  const char* env = std::getenv("DIFFSEG_FUZZ_MUTATIONS");
  const int per_seed = env ? std::max(0, std::atoi(env)) : 24;
  std::mt19937_64 rng(0x5EEDull);
  const auto below = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  const fs::path work = fs::temp_directory_path() / ("diffseg_fuzz_mutation_" + std::string(target.name));
  for (const fs::path& file : files_in(fs::path(DIFFSEG_FUZZ_DIR) / "corpus" / target.name)) {
    const std::string original = read_bytes(file);
    for (int m = 0; m < per_seed; ++m) {
      std::string bytes = original;
      const int edits = 1 + static_cast<int>(below(4));
      for (int e = 0; e < edits && !bytes.empty(); ++e) {
        const size_t at = below(bytes.size());
        switch (below(5)) {
          case 0: bytes[at] = static_cast<char>(bytes[at] ^ (1 << below(8))); break;
          case 1: bytes[at] = static_cast<char>(std::array<uint8_t, 6>{0, 1, 0x7F, 0x80, 0xFE, 0xFF}[below(6)]); break;
          case 2: bytes.resize(at); break;
          case 3: bytes.erase(at, 1 + below(std::min<size_t>(64, bytes.size() - at))); break;
          default: bytes.insert(at, bytes.substr(at, 1 + below(std::min<size_t>(64, bytes.size() - at)))); break;
        }
      }
      // Written out so a failure names a file that replays it (copy it into fuzz/regressions/ with the fix).
      std::ofstream(work, std::ios::binary) << bytes;
      SCOPED_TRACE(file.filename().string() + " mutation " + std::to_string(m) + " (in " + work.string() + ")");
      replay(target, work);
      if (::testing::Test::HasFailure()) return;
    }
  }
  fs::remove(work);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(kTargets),
                         [](const ::testing::TestParamInfo<Target>& info) { return std::string(info.param.name); });
